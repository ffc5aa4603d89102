"""Tasks named outright start their form whatever intent the NLU gave (投诉车管所 read as a guide
question, 我在网上约了个号 想取消 read as a booking), in every place that reads a message outside a form."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.form_repair import cancels_instead, off_path
from actions.guides import ActionAnswerGuide
from actions.handoff import ActionClarify
from actions.replies import ActionHandleReply
from actions.task_words import task_named
from tests.actions.conftest import DOMAIN, make_tracker

COMPLAINTS = ["投诉车管所", "我要投诉", "投诉一下东城大厅的窗口", "我要投诉公积金中心", "我想举报黄牛",
              "举报窗口乱收费", "我要反映个问题", "我想反映一下办事太慢", "怎么投诉", "投訴車管所"]
CANCELS = ["我在网上约了个号 想取消", "取消预约 编号YY2026120962113564 手机13811112222",
           "明天那个护照的预约我去不了 取消了吧", "我电话里约的号要取消 YY2026120962113564",
           "电脑上约的车管所的号 我要取消", "约好的号不要了", "帮我把预约取消掉",
           "取消我的预约", "退掉明天的号", "撤销预约", "我约的号去不了了 帮我取消", "预约号YY2026120962113564 取消"]
NEITHER = ["投诉电话是多少", "投诉热线", "先不取消了", "别取消 我还要去", "帮我重新约周五上午", "我想预约明天办护照",
           "取消", "预约号YY2026120962113564", "办护照要带什么", "公积金怎么提取", "要钱不", "不要取消预约"]
FORM = {"forms": {"appointment_form": {"required_slots": ["appt_item", "appt_date"]}}, "slots": {}}


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaint_words_start_a_complaint(text):
    assert task_named(text) == "complaint_form"


@pytest.mark.parametrize("text", CANCELS)
def test_cancel_words_with_a_booking_start_the_cancel_form(text):
    assert task_named(text) == "cancel_form"


@pytest.mark.parametrize("text", NEITHER)
def test_other_words_name_no_task(text):
    assert task_named(text) is None


def _followups(events):
    return [e["name"] for e in events if e.get("event") == "followup"]


@pytest.mark.parametrize("text", ["投诉车管所", "我要举报黄牛"])
async def test_a_guide_question_that_complains_starts_the_complaint(text):
    events = await ActionAnswerGuide().run(CollectingDispatcher(), make_tracker(text, "ask_guide"), DOMAIN)
    assert _followups(events) == ["complaint_form"]


@pytest.mark.parametrize("text", ["取消预约 编号YY2026120962113564 手机13811112222", "我约的号去不了了 帮我取消"])
async def test_a_short_reply_that_cancels_starts_the_cancel_form(text):
    events = await ActionHandleReply().run(CollectingDispatcher(), make_tracker(text, "inform"), DOMAIN)
    assert _followups(events) == ["cancel_form"]


@pytest.mark.parametrize("text,form", [("投诉一下那个窗口", "complaint_form"), ("网上约的号想取消", "cancel_form")])
async def test_an_unclear_message_naming_a_task_starts_it(text, form):
    events = await ActionClarify().run(CollectingDispatcher(), make_tracker(text, "nlu_fallback"), DOMAIN)
    assert _followups(events) == [form]


@pytest.mark.parametrize("text", ["我在网上约了个号 想取消", "预约号YY2026120962113564 帮我取消"])
def test_a_booking_opened_by_a_cancel_switches_to_the_cancel_form(text):
    tracker = make_tracker(text, "book_appointment", active_loop="appointment_form")
    events = off_path("appointment_form", CollectingDispatcher(), tracker, FORM)
    assert _followups(events) == ["cancel_form"]
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)


@pytest.mark.parametrize("requested,text", [("appt_confirmed", "取消预约吧"), ("appt_date", "取消预约")])
def test_inside_a_booking_cancel_words_are_not_a_switch(requested, text):
    assert not cancels_instead(requested, text)


def test_stopping_the_booking_is_a_way_out_not_a_switch():
    tracker = make_tracker("不想约了 取消预约", "deny", slots={"requested_slot": "appt_date"},
                           active_loop="appointment_form")
    assert _followups(off_path("appointment_form", CollectingDispatcher(), tracker, FORM)) == ["action_listen"]
