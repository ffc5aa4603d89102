"""Plays the booking form the way Rasa runs it (validation, then the question for the first
missing slot, with ``requested_slot`` recorded after the question), by direct action calls."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from actions import booking_questions as questions
from actions.booking import ValidateAppointmentForm
from actions.booking_state import FORM_SLOTS
from tests.actions.conftest import make_tracker

FORM_DOMAIN = {"forms": {"appointment_form": {"required_slots": FORM_SLOTS}}, "slots": {}}
ASK = {"appt_item": questions.AskApptItem, "appt_hall": questions.AskApptHall, "appt_date": questions.AskApptDate,
       "appt_hour": questions.AskApptHour, "appt_name": questions.AskApptName,
       "appt_phone": questions.AskApptPhone, "appt_confirmed": questions.AskApptConfirmed}


class Booking:
    def __init__(self, sender: str = "o_driver"):
        self.slots: Dict[str, Any] = {"requested_slot": None}
        self.events: List[Dict[str, Any]] = []
        self.sender = sender
        self.active = True
        self.questions: List[str] = []  # the slot of every question asked

    def _tracker(self, text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None):
        return make_tracker(text, intent, slots=dict(self.slots), entities=entities, sender=self.sender,
                            events=list(self.events), active_loop="appointment_form")

    def _apply(self, events: List[Dict[str, Any]], dispatcher: CollectingDispatcher) -> bool:
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message.get("text") or message.get("response")})
        followup = False
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
                self.events.append(event)
            elif event.get("event") == "active_loop" and event.get("name") is None:
                self.active = False
            elif event.get("event") == "followup":
                followup = True
        return followup

    async def say(self, text: str, intent: str = "inform", entities: Optional[List[Dict[str, Any]]] = None) -> str:
        self.events.append({"event": "user", "text": text})
        replies: List[str] = []
        for _ in range(3):  # a FollowupAction runs the form again on the same message
            dispatcher = CollectingDispatcher()
            events = await ValidateAppointmentForm().run(dispatcher, self._tracker(text, intent, entities), FORM_DOMAIN)
            self._apply(events, dispatcher)
            replies += _texts(dispatcher)
            if not self.active or any(e.get("name") == "requested_slot" and e.get("value") is None
                                      and e.get("event") == "slot" for e in events) and self.slots.get(
                                          "appt_item") is None:
                self.active = False
                break
            chosen = next((e["value"] for e in events if e.get("event") == "slot"
                           and e.get("name") == "requested_slot" and e.get("value")), None)
            missing = chosen or next((s for s in FORM_SLOTS if self.slots.get(s) is None), None)
            if missing is None:
                self.active = False
                break
            dispatcher = CollectingDispatcher()
            events = await ASK[missing]().run(dispatcher, self._tracker(text, intent, entities), {})
            followup = self._apply(events, dispatcher)
            replies += _texts(dispatcher)
            if any(e.get("name") == "requested_slot" and e.get("event") == "slot" for e in events):
                self.active = False  # the question ended the form
                break
            if not followup:
                self.questions.append(missing)
                self.events.append({"event": "slot", "name": "requested_slot", "value": missing})
                self.slots["requested_slot"] = missing
                break
        return "\n".join(replies)

    @property
    def asking(self) -> Optional[str]:
        return self.slots.get("requested_slot") if self.active else None


def _texts(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
