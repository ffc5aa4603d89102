"""Another task in the middle of a form: the form is paused, the other task runs, the form resumes
(``actions/interruption.py``)."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ValidateAppointmentForm
from actions.form_repair import off_path
from actions.forms import ActionFormInterruption, ActionStopForm
from actions.interruption import (
    RESUMED,
    other_task,
    pause_events,
    paused_form,
    read_rest_as_answer,
    resume_events,
    resume_reads_message,
    resuming,
)
from tests.actions.conftest import make_tracker, texts

DOMAIN = {"forms": {"appointment_form": {"required_slots": ["appt_item", "appt_name", "appt_phone"]},
                    "status_form": {"required_slots": ["application_id", "status_last4"]}},
          "responses": {}}


def user(text: str, intent: str = "inform") -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def loop(name: Any) -> Dict[str, Any]:
    return {"event": "active_loop", "name": name}


def booking_paused_for_status() -> List[Dict[str, Any]]:
    """A booking asking the name, then "先帮我查查SQ..." starting the status query."""
    return [user("明天上午东城办营业执照"), action("appointment_form"), loop("appointment_form"),
            {"event": "slot", "name": "requested_slot", "value": "appt_name"}, action("action_listen"),
            user("等一下 先帮我查查SQ20261118000123", "check_status"), action("action_form_interruption"),
            *pause_events("status_form"),
            action("status_form"), loop("status_form"),
            {"event": "slot", "name": "requested_slot", "value": "status_last4"}, action("action_listen")]


@pytest.mark.parametrize("form, requested, text, intent, task", [
    ("appointment_form", "appt_name", "等一下 先帮我查查SQ20261118000123", "inform", "status_form"),
    ("appointment_form", "appt_name", "先查下SQ20261110000456办得咋样了", "check_status", "status_form"),
    ("appointment_form", "appt_name", "先说个事 上次去市民中心排了三个小时队 我要投诉", "inform", "complaint_form"),
    ("status_form", "status_last4", "等下 先帮我约明天下午去市民中心补身份证", "book_appointment", "appointment_form"),
    ("cancel_form", "cancel_confirmed", "先别急 我那个食品许可SQ20261112000654咋样了 尾号2222", "check_status",
     "status_form"),
    ("complaint_form", "complaint_text", "等等 先查下SQ20261121000987 尾号4444", "check_status", "status_form"),
])
def test_a_message_that_starts_another_task(form, requested, text, intent, task):
    assert other_task(form, requested, text, intent) == task


@pytest.mark.parametrize("form, requested, text, intent", [
    ("status_form", "status_last4", "刚才的进度接着查 尾号5678", "check_status"),  # the same task
    ("complaint_form", "complaint_text", "好 接着说投诉 街道窗口的人说低保要等两个月 态度还很冲", "complain"),
    ("complaint_form", "complaint_text", "预约了还让我排两个小时 太过分了", "book_appointment"),  # a story
    ("cancel_form", "cancel_confirmed", "好 那预约还是取消吧", "cancel_appointment"),
    ("status_form", "status_last4", "算了不查了 把社保卡约了吧", "cancel_appointment"),  # a way out first
    ("appointment_form", "appt_name", "我不投诉 就是问问", "complain"),
    ("appointment_form", "appt_name", "张伟 13812345678", "inform"),
    ("status_form", "status_last4", "我之前约的还在吗", "book_appointment"),
])
def test_a_message_that_stays_in_the_task(form, requested, text, intent):
    assert other_task(form, requested, text, intent) is None


def test_the_paused_form_is_read_from_the_events():
    events = booking_paused_for_status()
    assert paused_form(make_tracker("5678", events=events)) == "appointment_form"


def test_a_resumed_form_is_no_longer_paused():
    events = [*booking_paused_for_status(), user("5678"), action("status_form"), loop(None),
              action("action_show_status"), {"event": "followup", "name": "appointment_form"},
              action("appointment_form"), loop("appointment_form")]
    assert paused_form(make_tracker("", events=events)) is None


def test_a_pause_nobody_came_back_from_is_forgotten_at_the_next_message_outside_any_form():
    events = [*booking_paused_for_status(), user("转人工", "human_handoff"), action("action_stop_form"), loop(None),
              action("action_handoff"), action("action_listen"), user("你好", "greet")]
    assert paused_form(make_tracker("你好", events=events)) is None


def test_a_follow_up_to_the_paused_form_is_its_resume_not_another_pause():
    events = [*booking_paused_for_status(), user("算了不查了"), action("status_form"), loop(None),
              {"event": "followup", "name": "appointment_form"}]
    assert paused_form(make_tracker("", events=events)) == "appointment_form"  # still, until it is active
    assert resuming(make_tracker("", events=events), "appointment_form")
    events += [action("appointment_form"), loop("appointment_form")]
    assert paused_form(make_tracker("", events=events)) is None


def test_a_paused_form_is_resumed_when_the_other_task_ends():
    tracker = make_tracker("5678", events=[*booking_paused_for_status(), user("5678")])
    dispatcher = CollectingDispatcher()
    events = resume_events(dispatcher, tracker)
    assert [e["name"] for e in events if e["event"] == "followup"] == ["appointment_form"]
    assert texts(dispatcher) == RESUMED["appointment_form"]


def test_no_resume_when_the_citizen_says_goodbye_or_the_task_goes_on():
    events = [*booking_paused_for_status(), user("再见", "goodbye")]
    assert resume_events(CollectingDispatcher(), make_tracker("再见", "goodbye", events=events)) == []
    events[-1] = user("5678")
    going_on = [{"event": "followup", "name": "status_form"}]
    assert resume_events(CollectingDispatcher(), make_tracker("5678", events=events), going_on) == []


async def test_a_side_message_that_starts_another_task_pauses_the_form():
    tracker = make_tracker("等一下 先帮我查查SQ20261118000123", "check_status", active_loop="appointment_form",
                           slots={"requested_slot": "appt_name", "appt_item": "SJ-0001"})
    events = await ActionFormInterruption().run(CollectingDispatcher(), tracker, DOMAIN)
    assert {"event": "followup", "name": "status_form"} in [
        {"event": e["event"], "name": e.get("name")} for e in events]
    assert not any(e["event"] == "slot" and e["name"] == "appt_item" for e in events)  # the booking is kept


async def test_stopping_the_other_task_resumes_the_paused_form():
    events = [*booking_paused_for_status(), user("算了不查了 把社保卡约了吧 江涛 13611119999", "cancel_appointment")]
    tracker = make_tracker("算了不查了 把社保卡约了吧 江涛 13611119999", "cancel_appointment", events=events,
                           active_loop="status_form", slots={"requested_slot": "status_last4"})
    dispatcher = CollectingDispatcher()
    result = off_path("status_form", dispatcher, tracker, DOMAIN)
    assert [e["name"] for e in result if e["event"] == "followup"] == ["appointment_form"]
    assert RESUMED["appointment_form"] in texts(dispatcher)


async def test_the_stop_action_resumes_the_paused_form():
    events = [*booking_paused_for_status(), user("不查了", "deny")]
    tracker = make_tracker("不查了", "deny", events=events, active_loop="status_form")
    result = await ActionStopForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert result[-1]["event"] == "followup" and result[-1]["name"] == "appointment_form"


async def test_a_form_resumed_after_the_other_tasks_result_does_not_read_that_message():
    events = [*booking_paused_for_status(), user("5678"), action("status_form"), loop(None),
              action("action_show_status"), {"event": "followup", "name": "appointment_form"},
              loop("appointment_form"), action("appointment_form")]
    tracker = make_tracker("5678", events=events, active_loop="appointment_form")
    assert resuming(tracker, "appointment_form") and not resume_reads_message(tracker)
    assert await ValidateAppointmentForm().run(CollectingDispatcher(), tracker, DOMAIN) == []


def test_a_form_resumed_because_the_other_task_stopped_reads_the_rest_of_the_message():
    tracker = make_tracker("算了不查了 把社保卡约了吧 江涛 13611119999", "cancel_appointment")
    read_rest_as_answer(tracker)
    assert "算了" not in tracker.latest_message["text"] and "不查了" not in tracker.latest_message["text"]
    assert "江涛 13611119999" in tracker.latest_message["text"]
    assert tracker.latest_message["intent"]["name"] == "inform"


@pytest.mark.parametrize("requested, text, side", [
    ("appt_name", "插一句 公积金怎么提取", True),
    ("appt_phone", "顺便问一下 结婚登记要带什么", True),
    ("appt_name", "魏强", False),
    ("appt_item", "结婚登记要带什么", False),  # the item asked: the form reads it
    ("appt_confirmed", "护照要多久", False),
    ("complaint_text", "窗口说公积金怎么提取都不知道", False),  # a complaint being told
])
def test_a_question_about_a_service_is_not_an_answer(requested, text, side):
    from actions.interruption import side_question
    assert side_question(requested, text) is side


def test_the_message_that_opens_a_form_does_not_pause_it():
    from actions.interruption import pause_for_other_task
    tracker = make_tracker("SQ20261118000123办了两个月还没好 我要投诉 查查怎么回事", "check_status",
                           active_loop="status_form")
    assert pause_for_other_task("status_form", tracker) is None


@pytest.mark.parametrize("text, intent", [("对了我之前约的那个还在吗", "deny"),
                                          ("我约的是哪天来着", "cancel_appointment"),
                                          ("之前约好的那个几点来着", "goodbye"), ("我上回约的还有效吗", "deny")])
async def test_a_question_about_earlier_bookings_inside_a_form_is_answered_and_the_form_goes_on(client, text, intent):
    """Read by the NLU as leaving the form (the stop rule), it lists the bookings and the form asks again."""
    tracker = make_tracker(text, intent, slots={"requested_slot": "appt_name"}, sender="o_nobody_booked",
                           active_loop="appointment_form")
    dispatcher = CollectingDispatcher()
    result = await ActionStopForm().run(dispatcher, tracker, DOMAIN)
    assert "没有待办理的预约" in texts(dispatcher) and "已停止" not in texts(dispatcher)
    assert result == [{"event": "followup", "timestamp": None, "name": "appointment_form"}]


@pytest.mark.parametrize("text", ["算了 我约的那个还在就行", "把我约的那个取消了", "不约了"])
async def test_stopping_or_cancelling_is_not_a_question_about_bookings(client, text):
    tracker = make_tracker(text, "deny", slots={"requested_slot": "appt_name"}, active_loop="appointment_form")
    result = await ActionStopForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert not [e for e in result if e["event"] == "followup"]


COMPLAINT_DOMAIN = {"forms": {"complaint_form": {"required_slots": ["complaint_text", "complaint_contact"]}},
                    "responses": {}}


@pytest.mark.parametrize("text, intent", [("算投诉吧", "deny"), ("就当投诉 不是建议", "deny"),
                                          ("还是按投诉来吧", "goodbye")])
async def test_naming_the_complaint_inside_its_form_goes_on_with_it(text, intent):
    """Asked for a contact, "算投诉吧" (read by the NLU as a no) confirms the complaint: it is not dropped."""
    tracker = make_tracker(text, intent, slots={"requested_slot": "complaint_contact",
                                                "complaint_text": "东城大厅没有老人专用窗口"},
                           active_loop="complaint_form")
    dispatcher = CollectingDispatcher()
    result = await ActionStopForm().run(dispatcher, tracker, COMPLAINT_DOMAIN)
    assert result == [{"event": "followup", "timestamp": None, "name": "complaint_form"}]
    assert "暂不登记" not in texts(dispatcher)


@pytest.mark.parametrize("text", ["不投诉了", "算了 不想投诉了", "不用了"])
async def test_dropping_the_complaint_still_stops_its_form(text):
    tracker = make_tracker(text, "deny", slots={"requested_slot": "complaint_contact",
                                                "complaint_text": "东城大厅没有老人专用窗口"},
                           active_loop="complaint_form")
    result = await ActionStopForm().run(CollectingDispatcher(), tracker, COMPLAINT_DOMAIN)
    assert {"event": "active_loop", "timestamp": None, "name": None} in result
