"""Any exception in any action ends in the polite apology with an offer of a human, leaves the
conversation as it was, and is logged as a masked summary, never the tracker (issue 9, point 6).
Actions run through rasa_sdk's own executor, as the action server runs them, against the real portal."""
from __future__ import annotations

import logging
from typing import Any, Dict

import pytest
from rasa_sdk import Action, ActionExecutionRejection
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.utils import all_subclasses

from actions.booking import CONTACT_OFFERED, ValidateAppointmentForm
from actions.common import SORRY_PORTAL_DOWN
from actions.failsafe import GUARDED, FailSafe, SafeAction
from actions.gov_api import GovApi, use_gov_api
from tests.actions.conftest import make_tracker, slot_events
from tests.actions.test_offers import FORMS, free_slot

PHONE, ID_NUMBER, NAME = "13812345678", "11010519491231002X", "王小明"


def executor() -> ActionExecutor:
    running = ActionExecutor()
    running.register_package("actions")
    return running


def test_every_action_of_the_package_is_guarded_and_no_base_is_registered():
    actions = executor().actions
    assert len(actions) >= 20
    unguarded = [name for name, run in actions.items() if not getattr(run, GUARDED, False)]
    assert unguarded == []
    assert not any(name.startswith("Safe") for name in actions)
    for cls in all_subclasses(Action):  # nothing in actions/ derives from rasa_sdk's bases directly
        assert not cls.__module__.startswith("actions.") or issubclass(cls, FailSafe), cls


def action_call(action: str, text: str, slots: Dict[str, Any]) -> Dict[str, Any]:
    tracker = make_tracker(text, "inform", slots=slots, sender="oAbcdefghijklmnopqrstuvwxyz0")
    return {"next_action": action, "sender_id": tracker.sender_id, "tracker": tracker.current_state(),
            "domain": FORMS, "version": "3.6.6"}


async def test_a_failing_action_apologises_offers_a_human_and_logs_a_masked_summary(client, caplog):
    caplog.set_level(logging.DEBUG)
    free = await free_slot(client)
    call = action_call("action_ask_appt_confirmed", f"姓名：{NAME}，身份证{ID_NUMBER}，手机{PHONE}", {
        "appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": free["date"], "appt_hour": None,  # a bug: no hour
        "appt_name": NAME, "appt_phone": PHONE, "choice_kind": "appt_hour", "choice_options": [9.0]})
    result = await executor().run(call)
    assert [m["text"] for m in result["responses"]] == [SORRY_PORTAL_DOWN]
    assert "转人工" in SORRY_PORTAL_DOWN
    assert slot_events(result["events"]) == {"choice_kind": None, "choice_options": None}
    failure = next(r for r in caplog.records if r.name == "actions.failsafe")
    assert "action_ask_appt_confirmed failed: TypeError" in failure.getMessage()
    assert "booking_questions.py:" in failure.getMessage() and "oAbc…xyz0" in failure.getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PHONE, ID_NUMBER, NAME, "oAbcdefghijklmnopqrstuvwxyz0"):
        assert secret not in logged


async def test_a_failing_form_validation_keeps_the_form_asking_the_same_question(client):
    tracker = make_tracker("1", "inform", active_loop="appointment_form", slots={
        "requested_slot": "appt_name", "appt_item": "GA-0003", "appt_hall": "SMZX",
        "choice_kind": CONTACT_OFFERED, "choice_options": [[NAME]]})  # malformed offer: no phone
    dispatcher = CollectingDispatcher()
    events = await ValidateAppointmentForm().run(dispatcher, tracker, FORMS)
    assert [m["text"] for m in dispatcher.messages] == [SORRY_PORTAL_DOWN]
    assert events == [{"event": "slot", "timestamp": None, "name": "appt_name", "value": None}]


async def test_a_rejection_is_no_failure_and_reaches_rasa():
    class Rejecting(SafeAction):
        def name(self) -> str:
            return "action_test_rejecting"

        async def run(self, dispatcher, tracker, domain):
            raise ActionExecutionRejection(self.name())

    with pytest.raises(ActionExecutionRejection):
        await Rejecting().run(CollectingDispatcher(), make_tracker("x"), {})


@pytest.mark.parametrize("action, text, intent, slots", [
    ("action_rate_service", "满意", "rate_service", {}),
    ("action_answer_guide", "护照怎么办", "ask_guide", {}),
    ("action_ask_cancel_confirmed", "确认", "inform", {"cancel_booking_no": "YY2026112600000001"}),
    ("action_handle_reply", "1", "inform", {"choice_kind": "item", "choice_options": ["GA-0003"]}),
])
async def test_a_portal_that_is_down_is_failsafes_to_answer(action, text, intent, slots):
    """Actions without a portal-down handler of their own: FailSafe's apology, the offer forgotten."""
    use_gov_api(GovApi("http://127.0.0.1:9", "k", timeout=0.5))
    tracker = make_tracker(text, intent, slots=slots)
    call = {"next_action": action, "sender_id": tracker.sender_id, "tracker": tracker.current_state(),
            "domain": FORMS, "version": "3.6.6"}
    result = await executor().run(call)
    assert [m["text"] for m in result["responses"]] == [SORRY_PORTAL_DOWN]
    assert slot_events(result["events"]) == {"choice_kind": None, "choice_options": None}
