"""What happens when a message does not answer the question a form asked (the unhappy path)."""
from __future__ import annotations

from typing import Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CLEAR_CHOICE, intent_of, text_of
from actions.failsafe import SafeAction
from actions.feedback import ActionRateService
from actions.guides import ActionAnswerGuide
from actions.values import gives_up_booking

STOPPED = {"appointment_form": "utter_booking_stopped", "status_form": "utter_status_stopped",
           "complaint_form": "utter_complaint_stopped", "cancel_form": "utter_booking_kept"}


def form_slots(domain: Dict, form: str) -> List[str]:
    return list(domain.get("forms", {}).get(form, {}).get("required_slots", []))


class ActionStopForm(SafeAction):
    """Stops the active form and forgets what it had collected (算了 / 不办了 / 再见)."""

    def name(self) -> Text:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        form = tracker.active_loop.get("name")
        if intent_of(tracker) != "human_handoff" and form in STOPPED:
            dispatcher.utter_message(response=STOPPED[form])
        resets = [SlotSet(slot, None) for slot in form_slots(domain, form)]
        return [*resets, *CLEAR_CHOICE, SlotSet("requested_slot", None), ActiveLoop(None)]


class ActionFormInterruption(SafeAction):
    """Answers a side question inside a form; the form then asks its question again."""

    def name(self) -> Text:
        return "action_form_interruption"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        intent = intent_of(tracker)
        if intent == "ask_guide":
            events = await ActionAnswerGuide().run(dispatcher, tracker, domain)
            return [e for e in events if e.get("name") not in ("choice_kind", "choice_options")]
        if intent == "rate_service":
            return await ActionRateService().run(dispatcher, tracker, domain)
        if intent == "bot_challenge":
            dispatcher.utter_message(response="utter_iamabot")
        elif intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        elif not (tracker.active_loop.get("name") == "appointment_form" and gives_up_booking(text_of(tracker))):
            dispatcher.utter_message(text="抱歉，没太明白您的回答。不想继续可以回复“取消”。")
        return []
