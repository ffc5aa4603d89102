"""取消预约: listing one's bookings and the cancel form.

A booking bound to the citizen's WeChat openid is picked from a list (or taken at once when it
is the only one). A booking made elsewhere (on the web, by phone) is found by its number and
the phone it was made with, both matching (``POST /appointments/{no}/lookup``, whose wrong
guesses the portal counts). Then one confirmation, read by :func:`actions.values.confirms_cancel`
so that "先别取消了" keeps the booking.

Slots: ``cancel_booking_no``; ``cancel_phone``, the phone the booking was made with, or
``BOUND`` when the booking is the openid's own (nothing to verify), or ``ENDED`` when the form
stopped after a question that could not be answered (the submit action then says nothing);
``cancel_confirmed``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    CLEAR_CHOICE,
    day_label,
    intent_of,
    offer_choices,
    pending_choice,
    say,
    slots_reset,
    sorry_portal_down,
    text_of,
)
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.gov_api import GovApiRefused, GovApiUnavailable, gov_api
from actions.repair import (
    GIVE_UP,
    HUMAN_HINT,
    asked_twice,
    leaves_form,
    said_too_many_tries,
    second_ask_hint,
    times_asked_in_a_row,
    wants_human,
    wants_out,
)
from actions.values import booking_number, booking_number_problem, choice, confirms_cancel, numbered, phone_number

CANCEL_SLOTS = ["cancel_booking_no", "cancel_phone", "cancel_confirmed"]
BOUND = "wechat"  # cancel_phone of a booking bound to this openid: nothing to verify
ENDED = "ended"  # cancel_phone when the form stopped early; the citizen has been told why


async def bound_bookings(openid: str) -> List[Dict[str, Any]]:
    """The openid's bookings that can still be cancelled."""
    return [b for b in await gov_api().bookings(openid) if b["status"] == "booked"]


async def bound_bookings_or_sorry(dispatcher: CollectingDispatcher, openid: str) -> Optional[List[Dict[str, Any]]]:
    """The openid's bookings, or None after apologising that the portal is down."""
    try:
        return await bound_bookings(openid)
    except GovApiUnavailable:
        sorry_portal_down(dispatcher)
        return None


def booking_line(booking: Dict[str, Any]) -> str:
    return (f"{booking['item_name']}，{day_label(booking['date'])} {booking['time']}，"
            f"{booking['hall_name']} {booking['window']}，预约号{booking['booking_no']}")


def ended() -> Dict[Text, Any]:
    """Slot values that end the form without cancelling (see the module's docstring)."""
    return {"cancel_phone": ENDED, "cancel_confirmed": False, "requested_slot": None}


class ActionListBookings(SafeAction):
    def name(self) -> Text:
        return "action_list_bookings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        bookings = await bound_bookings_or_sorry(dispatcher, tracker.sender_id)
        if bookings is None:
            return []
        if not bookings:
            dispatcher.utter_message(text="您在微信里没有待办理的预约。需要预约请回复“预约”；"
                                          "在网上或电话约的，回复“取消预约”后发预约号和手机号即可查到。")
            return []
        say(dispatcher, "您的预约：\n" + numbered([booking_line(b) for b in bookings])
            + "\n如需取消，回复“取消预约”。")
        return []


class ValidateCancelForm(SafeFormValidationAction):
    def name(self) -> Text:
        return "validate_cancel_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        """The phone comes right after the number; it is skipped (BOUND) for one's own bookings."""
        if tracker.get_slot("cancel_phone") == ENDED:
            return ["cancel_phone"]  # filled: the SDK sets requested_slot to None and the form stops
        slots = [s for s in domain_slots if s != "cancel_phone"]
        at = slots.index("cancel_booking_no") + 1 if "cancel_booking_no" in slots else 0
        return slots[:at] + ["cancel_phone"] + slots[at:]

    async def extract_cancel_booking_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        text, asked = text_of(tracker), tracker.get_slot("requested_slot")
        kind, options = pending_choice(tracker)
        if kind == "cancel_booking_no" and asked == "cancel_booking_no":
            index = choice(text, len(options))
            if index is not None:
                return {"cancel_booking_no": options[index], "cancel_phone": BOUND, **_cleared_choice()}
        number = booking_number(text)
        if number and number != tracker.get_slot("cancel_booking_no"):
            held = tracker.get_slot("cancel_phone")  # a phone given earlier is checked with the new number
            return {"cancel_booking_no": number, "cancel_phone": None if held in (BOUND, ENDED) else held,
                    "cancel_confirmed": None}
        if asked == "cancel_booking_no" and not number and not leaves_form(text):
            return await self._not_a_number(dispatcher, tracker)
        return {}

    async def _not_a_number(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if asked_twice(tracker, "cancel_booking_no"):
            dispatcher.utter_message(text=GIVE_UP)
            return ended()
        problem = booking_number_problem(text_of(tracker))
        if problem:
            dispatcher.utter_message(text=problem)
        return {}

    async def extract_cancel_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        """A phone in any message is taken (given early, or out of order); only for a booking that
        is not the openid's own."""
        if tracker.get_slot("cancel_phone") in (BOUND, ENDED):
            return {}
        text = text_of(tracker)
        phone = phone_number(text)
        if phone:
            return {"cancel_phone": phone}
        if tracker.get_slot("requested_slot") == "cancel_phone" and not leaves_form(text) \
                and not booking_number(text):
            return _wrong_phone(dispatcher, tracker, "您发的不是11位手机号，请发预约时留的手机号。")
        return {}

    async def extract_cancel_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "cancel_confirmed":
            return {}
        answer = confirms_cancel(text_of(tracker), intent_of(tracker))
        if answer is None and wants_out(text_of(tracker)):
            answer = False  # 算了 / 不用了 at the confirmation: keep the booking
        if answer is None and asked_twice(tracker, "cancel_confirmed") \
                and not wants_human(text_of(tracker)):
            answer = False  # asked twice and still unclear: keep, never a third ask
        return {} if answer is None else {"cancel_confirmed": answer}

    async def validate_cancel_booking_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        """One's own booking needs no phone; another number is kept and the phone asked for."""
        if value is None or tracker.get_slot("cancel_phone") in (BOUND, ENDED):
            return {"cancel_booking_no": value}
        try:
            own = {b["booking_no"] for b in await bound_bookings(tracker.sender_id)}
        except GovApiUnavailable:
            return {"cancel_booking_no": value}  # the phone check below will tell
        if value in own:
            return {"cancel_booking_no": value, "cancel_phone": BOUND}
        return {"cancel_booking_no": value}

    async def validate_cancel_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        """Number and phone are checked together by the portal (wrong pairs are counted)."""
        number, current = tracker.get_slot("cancel_booking_no"), tracker.get_slot("cancel_phone")
        if current in (BOUND, ENDED):  # set by the number's own validation in this same turn
            return {"cancel_phone": current}
        if value in (None, BOUND, ENDED) or not number:
            return {"cancel_phone": value}
        try:
            await gov_api().lookup_booking(number, tracker.sender_id, value)
        except GovApiRefused as error:
            if said_too_many_tries(error, dispatcher):
                return ended()
            left = error.details.get("attempts_left")
            message = "预约号和手机号对不上：与预约时留的手机号不符，或预约号有误。"
            if left:
                message += f"还可以再试{left}次。"
            return _wrong_phone(dispatcher, tracker, message)
        except GovApiUnavailable:
            sorry_portal_down(dispatcher)
            return {"cancel_phone": None}
        return {"cancel_phone": value}


def _wrong_phone(dispatcher: CollectingDispatcher, tracker: Tracker, message: str) -> Dict[Text, Any]:
    """Says what was wrong; after the second wrong answer in a row, ends with the offer of a human."""
    if asked_twice(tracker, "cancel_phone"):
        dispatcher.utter_message(text=GIVE_UP)
        return ended()
    dispatcher.utter_message(text=message)
    return {"cancel_phone": None}


def _cleared_choice() -> Dict[Text, Any]:
    return {"choice_kind": None, "choice_options": None}


class AskCancelBookingNo(SafeAction):
    def name(self) -> Text:
        return "action_ask_cancel_booking_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        bookings = await bound_bookings_or_sorry(dispatcher, tracker.sender_id)
        if bookings is None:
            return [SlotSet("cancel_confirmed", False), SlotSet("cancel_phone", ENDED), SlotSet("requested_slot", None)]
        if len(bookings) == 1 and times_asked_in_a_row(tracker, "cancel_booking_no") == 0:
            return [SlotSet("cancel_booking_no", bookings[0]["booking_no"]), SlotSet("cancel_phone", BOUND),
                    FollowupAction("cancel_form")]
        if bookings:
            return offer_choices(dispatcher, "您要取消哪一个预约？", [booking_line(b) for b in bookings],
                                 "cancel_booking_no", [b["booking_no"] for b in bookings],
                                 "请回复序号；在网上或电话约的，请发预约号（YY开头）。"
                                 + second_ask_hint(tracker, "cancel_booking_no"))
        dispatcher.utter_message(text="您在微信里没有预约。如果是在网上或电话约的，请发预约号（YY开头，共18位，"
                                      "在预约短信里），再发预约时留的手机号，我帮您查。"
                                      + second_ask_hint(tracker, "cancel_booking_no"))
        return []


class AskCancelPhone(SafeAction):
    def name(self) -> Text:
        return "action_ask_cancel_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(text=f"请发预约号{tracker.get_slot('cancel_booking_no')}预约时留的手机号（11位），"
                                      "核对无误后再为您取消。" + second_ask_hint(tracker, "cancel_phone"))
        return []


class AskCancelConfirmed(SafeAction):
    def name(self) -> Text:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        booking = await _the_booking(tracker)  # a portal failure is FailSafe's (the apology)
        line = booking_line(booking) if booking else f"预约号{tracker.get_slot('cancel_booking_no')}"
        dispatcher.utter_message(text=f"确定要取消这个预约吗？\n{line}\n回复“确认”取消，回复“不用了”保留。"
                                      + second_ask_hint(tracker, "cancel_confirmed"))
        return []


async def _the_booking(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The booking to cancel, as the portal shows it (a right lookup is not counted as a guess)."""
    number, phone = tracker.get_slot("cancel_booking_no"), tracker.get_slot("cancel_phone")
    if phone and phone not in (BOUND, ENDED):
        try:
            return await gov_api().lookup_booking(number, tracker.sender_id, phone)
        except GovApiRefused:
            return None
    return next((b for b in await gov_api().bookings(tracker.sender_id) if b["booking_no"] == number), None)


class ActionCancelBooking(SafeAction):
    def name(self) -> Text:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        number, confirmed = tracker.get_slot("cancel_booking_no"), tracker.get_slot("cancel_confirmed")
        phone = tracker.get_slot("cancel_phone")
        reset = [*slots_reset(CANCEL_SLOTS), *CLEAR_CHOICE]
        if not number or not confirmed or phone == ENDED:
            if number and phone != ENDED:
                dispatcher.utter_message(text="好的，预约保留不变。")
            return reset
        try:
            cancelled = await gov_api().cancel_booking(number, tracker.sender_id, None if phone == BOUND else phone)
        except GovApiRefused as error:
            dispatcher.utter_message(text=f"取消没有成功：{error.message}。{HUMAN_HINT}")
            return reset
        except GovApiUnavailable:
            sorry_portal_down(dispatcher)
            return reset
        dispatcher.utter_message(text=f"已为您取消预约（预约号{number}）。需要时可以重新预约。")
        return [*reset, *item_of(cancelled)]


def item_of(booking: Dict[str, Any]) -> List[EventType]:
    """The cancelled booking's item stays in context: 帮我重新约周五上午 books the same item again."""
    code = (booking or {}).get("item_code")
    return [SlotSet("item_code", code), SlotSet("item_name", booking.get("item_name"))] if code else []
