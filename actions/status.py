"""办件进度: application number, then verification (a bound openid, the phone's last 4 digits or
the whole phone), then the current step, when, what comes next and, for 补正, what to bring.
Nothing about an application is said before verification, and no answer tells whether a number
exists: a malformed number is told what is wrong with its form, a wrong verification how many
tries are left (the portal counts them; a lookup by openid alone is never counted).

The verification is checked inside the form, so a wrong one is said at once and asked again with
the number kept; after the second ask in a row a wrong answer ends the form with the offer of a
human. ``status_verified`` False means the form ended early and the citizen was told why.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import SORRY_PORTAL_DOWN, say, slots_reset, sorry_portal_down, text_of
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.gov_api import GovApiError, GovApiRefused, GovApiUnavailable, gov_api
from actions.repair import GIVE_UP, HUMAN_HINT, asked_twice, leaves_form, said_too_many_tries, second_ask_hint
from actions.values import (
    application_id,
    application_id_problem,
    digits_of,
    last_four_digits,
    phone_number,
    verification_problem,
)

STATUS_SLOTS = ["application_id", "status_last4", "status_verified"]
NUMBER_FORM = "受理号是SQ开头加14位数字，例如 SQ20261118000123，可在受理回执或短信里找到。"
NOT_FOUND = ("没有查到与该受理号和验证信息相符的办件。请核对受理号（SQ开头，共16位）和手机号后四位后再试，"
             "或回复“转人工”。")
ENDED = "ended"  # the value an extraction gives when the form is to stop (asked twice, still no answer)
_TAIL_SAID = re.compile(r"(尾号|后四位|后4位|末四位|末4位)")


def mismatch(error: GovApiRefused) -> str:
    """A wrong verification, said plainly, with the tries left (the same for any number)."""
    left = error.details.get("attempts_left")
    message = "与申请时留的手机号不符（或受理号有误），请核对后再发。"
    return message + (f"还可以再试{left}次。" if left else HUMAN_HINT)


def stopped(verified: Optional[bool] = False) -> Dict[Text, Any]:
    """Ends the form now; ``action_show_status`` then shows nothing and keeps the number."""
    return {"status_verified": verified, "requested_slot": None}


def verification_in(text: str, asked: bool) -> Optional[str]:
    """The whole phone from any message; the last four when asked, or when said to be the tail
    (手机尾号是8888) in a message that also carries the number."""
    whole = phone_number(text)
    if whole:
        return whole
    if asked:
        return last_four_digits(text)
    if _TAIL_SAID.search(text):
        return last_four_digits(re.sub(r"SQ\d+", "", digits_of(text), flags=re.IGNORECASE))
    return None


def apologised(messages: List[Dict[str, Any]]) -> bool:
    """The portal-down apology is among ``messages``: say it once, and call the portal no more."""
    return any(m.get("text") == SORRY_PORTAL_DOWN for m in messages)


def _said_since_last_message(tracker: Tracker) -> List[Dict[str, Any]]:
    said: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            said.append(event)
    return said


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
        text = text_of(tracker)
        number = application_id(text)
        if number and number != tracker.get_slot("application_id"):
            # a verification given earlier is checked against the new number; validation resets status_verified
            return {"application_id": number, "status_last4": tracker.get_slot("status_last4")}
        if number or leaves_form(text):
            return {}
        if tracker.get_slot("requested_slot") != "application_id":
            problem = application_id_problem(text)  # 查进度 SQ2026111800012: say what is wrong with it now
            if problem and not tracker.get_slot("application_id"):
                dispatcher.utter_message(text=problem)
            return {}
        if asked_twice(tracker, "application_id"):
            dispatcher.utter_message(text=GIVE_UP)
            return {"application_id": ENDED}  # its validation stops the form
        dispatcher.utter_message(text=(application_id_problem(text) or "") + NUMBER_FORM)
        return {}

    async def extract_status_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("status_verified"):
            return {}
        text = text_of(tracker)
        asked = tracker.get_slot("requested_slot") == "status_last4"
        verification = verification_in(text, asked)
        if verification:
            return {"status_last4": verification}
        if not asked or leaves_form(text):
            return {}
        if asked_twice(tracker, "status_last4"):
            dispatcher.utter_message(text=GIVE_UP)
            return {"status_last4": ENDED}  # its validation stops the form
        dispatcher.utter_message(text=verification_problem(text)
                                 or "请发申请时所留手机号的后四位（4位数字），整个手机号也可以。")
        return {}

    async def validate_application_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        """Tries the openid first (never counted): a citizen verified once is not asked again."""
        if value in (None, ENDED):
            return {"application_id": None, **(stopped() if value == ENDED else {})}
        try:
            await gov_api().application_status(value, tracker.sender_id,
                                               channel=tracker.get_latest_input_channel())
        except GovApiRefused as error:
            if said_too_many_tries(error, dispatcher):
                return {"application_id": value, **stopped()}
            return {"application_id": value, "status_verified": None}  # not bound: verification next
        except GovApiUnavailable:
            sorry_portal_down(dispatcher)  # the number is kept: "再查一下" later continues with it
            return {"application_id": value, **stopped(None)}
        return {"application_id": value, "status_verified": True}

    async def validate_status_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        """Checked at once, so a wrong one is said now and asked again with the number kept."""
        if value == ENDED:
            return {"status_last4": None, **stopped()}
        number = tracker.get_slot("application_id")
        if not value or not number or tracker.get_slot("status_verified") is not None \
                or apologised(dispatcher.messages):
            return {"status_last4": value}
        try:
            await gov_api().application_status(number, tracker.sender_id, value,
                                               channel=tracker.get_latest_input_channel())
        except GovApiRefused as error:
            if said_too_many_tries(error, dispatcher):
                return {"status_last4": None, **stopped()}
            if asked_twice(tracker, "status_last4"):
                dispatcher.utter_message(text=mismatch(error) + "\n" + GIVE_UP)
                return {"status_last4": None, **stopped()}
            dispatcher.utter_message(text=mismatch(error))
            return {"status_last4": None}
        except GovApiUnavailable:
            sorry_portal_down(dispatcher)  # both kept: "再查一下" later continues with them
            return {"status_last4": value, **stopped(None)}
        return {"status_last4": value, "status_verified": True}


class AskApplicationId(SafeAction):
    def name(self) -> Text:
        return "action_ask_application_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(text="请发一下受理号（SQ开头，如 SQ20261118000123），可在受理回执或短信里找到。"
                                      + second_ask_hint(tracker, "application_id"))
        return []


class AskStatusLast4(SafeAction):
    def name(self) -> Text:
        return "action_ask_status_last4"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(text="为保护您的信息，请回复申请时所留手机号的后四位（发整个手机号也可以）。"
                                      + second_ask_hint(tracker, "status_last4"))
        return []


class ActionShowStatus(SafeAction):
    def name(self) -> Text:
        return "action_show_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        number, verified = tracker.get_slot("application_id"), tracker.get_slot("status_verified")
        if verified is False or not number:
            return slots_reset(STATUS_SLOTS)  # the form ended early and said why
        if apologised(_said_since_last_message(tracker)):
            return []  # the portal was down a moment ago: what was given stays for the next try
        try:
            status = await gov_api().application_status(number, tracker.sender_id, tracker.get_slot("status_last4"),
                                                        channel=tracker.get_latest_input_channel())
        except GovApiRefused as error:
            dispatcher.utter_message(text=error.message if error.status == 429 else mismatch(error))
            return slots_reset(STATUS_SLOTS)
        except GovApiError:
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
