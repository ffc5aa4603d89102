"""办件进度: application number, then verification (a bound openid, or the phone's last 4
digits), then the current step, when, what comes next and, for 补正, what to bring.
Nothing about an application is said before verification."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import say, slots_reset, sorry_portal_down, text_of
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.portal_client import PortalError, PortalRejected, portal
from actions.values import (
    application_id, application_id_problem, last_four_digits, phone_number, verification_problem,
)

STATUS_SLOTS = ["application_id", "status_last4", "status_verified"]
NOT_FOUND = ("没有查到与该受理号和验证信息相符的办件。请核对受理号（SQ开头，共16位）和手机号后四位后再试，"
             "或回复“转人工”。")


class ValidateStatusForm(SafeFormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        if tracker.get_slot("status_verified"):
            return ["application_id"]
        return domain_slots

    async def extract_application_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        number = application_id(text_of(tracker))
        if number and number != tracker.get_slot("application_id"):
            return {"application_id": number, "status_last4": None, "status_verified": None}
        if tracker.get_slot("requested_slot") == "application_id" and not number:
            dispatcher.utter_message(text=(application_id_problem(text_of(tracker)) or "")
                                     + "受理号是SQ开头加14位数字，例如 SQ20261118000123，可在受理回执或短信里找到。")
        return {}

    async def extract_status_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "status_last4":
            return {}
        text = text_of(tracker)
        verification = phone_number(text) or last_four_digits(text)  # the whole phone is welcome too
        if verification:
            return {"status_last4": verification}
        problem = verification_problem(text)
        if problem:
            dispatcher.utter_message(text=problem)
        return {}

    async def validate_application_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        """Tries the openid first: a citizen verified once is not asked again."""
        if value is None:
            return {"application_id": None}
        try:
            await portal().application_status(value, tracker.sender_id)
        except PortalError:
            return {"application_id": value}
        return {"application_id": value, "status_verified": True}


class ActionShowStatus(SafeAction):
    def name(self) -> Text:
        return "action_show_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        number = tracker.get_slot("application_id")
        if not number:
            return slots_reset(STATUS_SLOTS)
        try:
            status = await portal().application_status(number, tracker.sender_id, tracker.get_slot("status_last4"))
        except PortalRejected as error:
            dispatcher.utter_message(text=error.message if error.status == 429 else NOT_FOUND)
            return slots_reset(STATUS_SLOTS)
        except PortalError:
            sorry_portal_down(dispatcher)
            return slots_reset(STATUS_SLOTS)
        say(dispatcher, describe_status(status))
        return [*slots_reset(["status_last4"]), SlotSet("status_verified", None), SlotSet("application_id", None)]


def describe_status(status: Dict[str, Any]) -> str:
    current = status["current"] or {}
    lines = [f"受理号 {status['application_id']}（{status['item_name']}）",
             f"当前进度：{status['status']}",
             f"时间：{current.get('at', '')[:16].replace('T', ' ')}  部门：{current.get('department', '')}"]
    if current.get("note"):
        lines.append(f"说明：{current['note']}")
    correction = current.get("correction")
    if correction:
        lines.append(f"需补正原因：{correction['reason']}")
        lines.append("请补交：" + "；".join(correction["materials"]))
    lines.append(f"下一步：{status['next_step']}")
    return "\n".join(lines)
