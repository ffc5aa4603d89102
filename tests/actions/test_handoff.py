"""A person, a repeat and a way out from inside every form (booking, cancel, status, complaint),
whatever the NLU made of the message; the handoff message; repeat and clarification outside forms.
The last tests run Rasa 3.6's own FormAction with the validation action called in-process, to
show how Rasa takes the events: the form ends and action_handoff is the next action."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

import pytest
from rasa.core.actions import forms as rasa_forms
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.events import (
    ActiveLoop as RasaActiveLoop,
)
from rasa.shared.core.events import (
    SlotSet as RasaSlotSet,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.booking import ValidateAppointmentForm, ValidateCancelForm
from actions.failsafe import REPAIRED
from actions.feedback import ValidateComplaintForm
from actions.form_repair import KEPT_FOR_STAFF, STOPPED, off_path
from actions.forms import ActionFormInterruption
from actions.handoff import ActionClarify, ActionHandoff, ActionRepeat
from actions.staff_desk import use_staff_desk
from actions.status import ValidateStatusForm
from tests.actions.conftest import make_tracker, texts
from tests.actions.test_offers import DOMAIN_DIR
from tests.actions.test_repair import HUMAN, OUT, ask, user

FORMS = {  # form: (validation, the question it is at, what it holds so far)
    "appointment_form": (ValidateAppointmentForm, "appt_hall", {"appt_item": "GA-0003"}),
    "cancel_form": (ValidateCancelForm, "cancel_booking_no", {}),
    "status_form": (ValidateStatusForm, "status_last4", {"application_id": "SQ20261118000123"}),
    "complaint_form": (ValidateComplaintForm, "complaint_text", {}),
}
HANDOFF_SAMPLES = ["直接给我转人工客服吧", "轉人工", "找你们领导", "人工客服", "我不跟机器人说了，叫工作人员来",
                   "这事说不清楚，你直接帮我转人工客服处理一下吧"]
OUT_SAMPLES = ["算了", "下次再说吧", "改天再说", "不用了", "那算了吧"]


@lru_cache(maxsize=1)
def rasa_domain() -> Domain:
    return Domain.load(str(DOMAIN_DIR))


def domain() -> Dict[str, Any]:
    return rasa_domain().as_dict()


def in_form(form: str, text: str, intent: str = "inform", events: List[Dict[str, Any]] = ()) -> Tracker:
    _, requested, held = FORMS[form]
    return make_tracker(text, intent, slots={**held, "requested_slot": requested}, active_loop=form,
                        events=list(events) or [user(text)])


def named(events: List[Dict[str, Any]], kind: str) -> List[Any]:
    return [e.get("name") for e in events if e.get("event") == kind]


def slots(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("text", HANDOFF_SAMPLES)
async def test_a_person_from_inside_every_form_stops_it_and_hands_over(form, text):
    dispatcher = CollectingDispatcher()
    events = await FORMS[form][0]().run(dispatcher, in_form(form, text, intent="complain"), domain())
    assert named(events, "followup") == ["action_handoff"]
    assert named(events, "active_loop") == [None]
    held = slots(events)
    assert held["requested_slot"] is None
    kept = KEPT_FOR_STAFF if form == "complaint_form" else ()
    assert all(held[slot] is None for slot in domain()["forms"][form]["required_slots"] if slot not in kept)
    assert dispatcher.messages == []  # the handoff says what happens next, once


@pytest.mark.parametrize("text", HUMAN)
async def test_no_way_of_asking_for_a_person_is_filed_as_a_complaint(text):
    events = await ValidateComplaintForm().run(CollectingDispatcher(), in_form("complaint_form", text, "complain"),
                                               domain())
    assert slots(events).get("complaint_text") is None and named(events, "followup") == ["action_handoff"]


@pytest.mark.parametrize("text", ["窗口工作人员态度很差，让我来回跑了三趟",
                                  "窗口说不办了就不办了，态度太差了，我要投诉",
                                  "我说找你们领导，窗口的人说找领导也没用",
                                  "排了两个小时队，最后说今天不办了让我改天再来"])
async def test_a_real_complaint_is_still_taken_as_the_complaint(text):
    events = await ValidateComplaintForm().run(CollectingDispatcher(), in_form("complaint_form", text, "complain"),
                                               domain())
    assert slots(events)["complaint_text"] == text and not named(events, "followup")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("text", OUT_SAMPLES)
async def test_a_way_out_at_any_question_stops_every_form_with_its_own_reply(form, text):
    dispatcher = CollectingDispatcher()
    events = await FORMS[form][0]().run(dispatcher, in_form(form, text), domain())
    assert [m.get("response") for m in dispatcher.messages] == [STOPPED[form]]
    assert named(events, "followup") == ["action_listen"]  # no submit rule runs after it
    assert named(events, "active_loop") == [None] and slots(events)["requested_slot"] is None


@pytest.mark.parametrize("text", OUT)
def test_every_way_out_stops_the_booking_form_before_it_reads_the_answer(text):
    events = off_path("appointment_form", CollectingDispatcher(), in_form("appointment_form", text), domain())
    assert events is not None and named(events, "followup") == ["action_listen"]


@pytest.mark.parametrize("form, requested, text", [
    ("appointment_form", "appt_confirmed", "算了不约了"),  # the read-back reads its own no
    ("cancel_form", "cancel_confirmed", "算了"),
    ("cancel_form", "cancel_booking_no", "不约了"),  # in the cancel form this means "cancel it"
    ("cancel_form", "cancel_booking_no", "不去了"),
    ("complaint_form", "complaint_contact", "不用了"),  # skips the optional phone (checked below)
])
async def test_where_the_form_reads_such_words_itself_the_repair_stays_out(form, requested, text):
    tracker = make_tracker(text, slots={"requested_slot": requested}, active_loop=form)
    if form == "complaint_form":
        assert ValidateComplaintForm().answers_itself(tracker)
    else:
        assert off_path(form, CollectingDispatcher(), tracker, domain()) is None


@pytest.mark.parametrize("form", FORMS)
async def test_a_repeat_says_again_what_came_before_the_question_and_keeps_the_form_where_it_was(form):
    _, requested, held = FORMS[form]
    before = [user("你好"), {"event": "action", "name": "action_form_interruption"},
              {"event": "bot", "text": "您好！我们接着刚才的事办。"}, *ask(requested, "问题？", action=form)]
    dispatcher = CollectingDispatcher()
    events = await FORMS[form][0]().run(dispatcher, in_form(form, "再说一遍", events=[*before, user("再说一遍")]),
                                        domain())
    assert texts(dispatcher) == "您好！我们接着刚才的事办。"  # the form asks its question itself, once
    assert events == [{"event": "slot", "timestamp": None, "name": requested, "value": None}]


# --- outside forms ---------------------------------------------------------------------------

async def test_with_wechat_s_own_customer_service_the_handoff_says_who_answers_where_and_when_and_pauses():
    use_staff_desk(None)  # HANDOFF_MODE=wechat: the console opens nothing (tests/actions/test_escalation.py)
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, make_tracker("找你们领导", "complain"), domain())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_handoff"]
    said = domain()["responses"]["utter_handoff"][0]["text"]
    assert all(words in said for words in ("工作人员", "这个对话", "9:00-17:00", "下一个工作日", "12345"))
    assert slots(events)["handoff_reason"] == "user_request"  # said in words, not found by the NLU
    assert "pause" in [e.get("event") for e in events]


async def test_repeat_outside_a_form_sends_the_last_messages_again():
    events = [user("身份证丢了"), {"event": "action", "name": "action_answer_guide"},
              {"event": "bot", "text": "补办身份证需要："}, {"event": "bot", "text": "1. 户口簿"},
              {"event": "action", "name": "action_listen"}, user("没看清")]
    dispatcher = CollectingDispatcher()
    events = await ActionRepeat().run(dispatcher, make_tracker("没看清", events=events), domain())
    assert named(events, "followup") == ["action_listen"]  # not action_clarify reading "没看清" again
    assert texts(dispatcher) == "补办身份证需要：\n1. 户口簿"


async def test_repeat_with_nothing_said_before_says_so():
    dispatcher = CollectingDispatcher()
    await ActionRepeat().run(dispatcher, make_tracker("再说一遍", events=[user("再说一遍")]), domain())
    assert [m.get("response") for m in dispatcher.messages] == ["utter_nothing_to_repeat"]


@pytest.mark.parametrize("text, follow", [("轉人工", "action_handoff"), ("找你们领导", "action_handoff"),
                                          ("再说一遍", "action_repeat"), ("啥？", "action_repeat"),
                                          ("我那个过户到底办好没有 SQ20261110000456 快点", "status_form")])
async def test_a_message_the_nlu_did_not_understand_still_reaches_a_person_or_a_repeat(text, follow):
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, make_tracker(text, "nlu_fallback"), domain())
    assert named(events, "followup") == [follow] and dispatcher.messages == []


@pytest.mark.parametrize("intent, response", [("greet", "utter_greet_in_form"), ("thank", "utter_thank_in_form"),
                                              ("bot_challenge", "utter_iamabot"),
                                              ("out_of_scope", "utter_out_of_scope")])
async def test_chitchat_inside_a_form_is_answered_and_the_form_asks_again(intent, response):
    dispatcher = CollectingDispatcher()
    events = await ActionFormInterruption().run(dispatcher, in_form("status_form", "…", intent), domain())
    assert events == [] and [m.get("response") for m in dispatcher.messages] == [response]
    assert response in domain()["responses"]


# --- through Rasa's own form action ------------------------------------------------------------

class InProcessValidation:
    """Stands in for RemoteAction inside rasa's FormAction: runs our validation action in-process."""

    def __init__(self, name: str, _endpoint: Any):
        self._action = {"validate_complaint_form": ValidateComplaintForm}[name]()

    async def run(self, output_channel, nlg, tracker, domain):
        dispatcher = CollectingDispatcher()
        sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
        events = await self._action.run(dispatcher, sdk_tracker, domain.as_dict())
        said = []
        for message in dispatcher.messages:
            text = message.get("text") or (await nlg.generate(message["response"], tracker, "rest"))["text"]
            said.append(BotUttered(text))
        return said + deserialise_events(events)


def complaint_tracker(text: str) -> DialogueStateTracker:
    domain_ = rasa_domain()
    return DialogueStateTracker.from_events("o_citizen", [
        ActionExecuted("action_listen"), UserUttered("我要投诉", {"name": "complain", "confidence": 0.99}),
        ActionExecuted("complaint_form"), RasaActiveLoop("complaint_form"),
        RasaSlotSet("requested_slot", "complaint_text"),
        BotUttered("请说说具体情况"), ActionExecuted("action_listen"),
        UserUttered(text, {"name": "complain", "confidence": 0.95})], slots=domain_.slots)


async def run_rasa_form(monkeypatch, text: str) -> DialogueStateTracker:
    monkeypatch.setattr(rasa_forms, "RemoteAction", InProcessValidation)
    tracker, domain_ = complaint_tracker(text), rasa_domain()
    form = rasa_forms.FormAction("complaint_form", None)
    events = await form.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain_.responses),
                            tracker, domain_)
    tracker.update(ActionExecuted("complaint_form"))
    tracker.update_with_events(events, domain_)
    return tracker


async def test_rasa_ends_the_form_and_runs_the_handoff_next(monkeypatch):
    tracker = await run_rasa_form(monkeypatch, "直接给我转人工客服吧")
    assert tracker.active_loop_name is None and tracker.get_slot("complaint_text") is None
    assert tracker.followup_action == "action_handoff"


async def test_rasa_keeps_the_form_and_asks_again_after_a_repeat(monkeypatch):
    tracker = await run_rasa_form(monkeypatch, "再说一遍")
    assert tracker.active_loop_name == "complaint_form" and tracker.get_slot("requested_slot") == "complaint_text"
    assert tracker.latest_bot_utterance.text == rasa_domain().responses["utter_ask_complaint_text"][0]["text"]
    assert tracker.followup_action is None


async def test_rasa_takes_a_complaint_and_asks_for_the_phone(monkeypatch):
    tracker = await run_rasa_form(monkeypatch, "窗口工作人员态度很差，让我来回跑了三趟")
    assert tracker.active_loop_name == "complaint_form" and tracker.get_slot("requested_slot") == "complaint_contact"


def test_every_form_validation_the_action_server_registers_checks_for_repairs_first():
    running = ActionExecutor()
    running.register_package("actions")
    validations = {name: run for name, run in running.actions.items() if name.startswith("validate_")}
    assert set(validations) >= {f"validate_{form}" for form in FORMS}
    assert [name for name, run in validations.items() if not getattr(run, REPAIRED, False)] == []
