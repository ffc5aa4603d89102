"""预约: the booking form (item, hall, day, hour, name, phone, read-back), submission with an
idempotency key, and listing and cancelling one's own bookings.

A returning citizen is offered the contact of the last booking as the portal shows it
(masked name and phone) together with the portal's handle for it; the booking then carries
the handle, so the bot never holds that full phone number (see ``stored_contact``).
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    CLEAR_CHOICE, day_label, entity, intent_of, offer_choices, pending_choice, say, slots_reset,
    sorry_portal_down, text_of,
)
from actions.dates import When, parse_when
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.guides import find_item
from actions.portal_client import PortalError, PortalRejected, PortalUnavailable, portal
from actions.values import (
    choice, confirms_booking, confirms_cancel, gives_up_booking, mask, numbered, person_name, phone_number,
)
from govbot.clock import china_now

logger = logging.getLogger(__name__)
FORM_SLOTS = ["appt_item", "appt_hall", "appt_date", "appt_hour", "appt_name", "appt_phone", "appt_confirmed"]
HELPER_SLOTS = ("choice_kind", "choice_options", "appt_when")  # set by extraction, not asked by the form
NOT_A_NAME = ("deny", "goodbye", "cancel_appointment", "human_handoff")
CONTACT_OFFERED = "appt_contact"  # choice_kind while the last booking's contact is offered
CONTACT_DECLINED = "appt_contact_declined"  # choice_kind after 不是 to the offered contact
STORED_CONTACT = "stored:"  # appt_phone of a reused contact: "stored:<masked phone>:<portal handle>"
HALL_WORDS = {"市民中心": "SMZX", "市里": "SMZX", "东城": "DCQ", "出入境": "CRJ", "车管所": "CGS", "公积金": "GJJ"}


def stored_contact(masked_phone: str, handle: str) -> str:
    """The ``appt_phone`` value that stands for the portal's stored contact behind ``handle``."""
    return f"{STORED_CONTACT}{masked_phone}:{handle}"


def _stored(appt_phone: Optional[str]) -> Optional[Tuple[str, str]]:
    """(masked phone, handle) when ``appt_phone`` is a stored contact, else None."""
    if not appt_phone or not appt_phone.startswith(STORED_CONTACT):
        return None
    masked, _, handle = appt_phone[len(STORED_CONTACT):].partition(":")
    return masked, handle


def shown_phone(appt_phone: str) -> str:
    stored = _stored(appt_phone)
    return stored[0] if stored else mask(appt_phone)


def contact_fields(name: str, appt_phone: str) -> Dict[str, str]:
    """What the booking request says about who comes: name and phone, or the portal's handle."""
    stored = _stored(appt_phone)
    return {"contact_handle": stored[1]} if stored else {"name": name, "phone": appt_phone}


async def free_slots(item: str, hall: Optional[str]) -> List[Dict[str, Any]]:
    return [s for s in await portal().slots(item, hall) if s["available"] > 0]


def pick_hour(slots: List[Dict[str, Any]], day: str, when: When) -> Optional[int]:
    """The hour asked for, or the earliest free hour in the part of day asked for."""
    hours = [s["hour"] for s in slots if s["date"] == day]
    if when.hour is not None:
        return when.hour if when.hour in hours else None
    return next((h for h in hours if when.hours[0] <= h < when.hours[1]), None)


class ValidateAppointmentForm(SafeFormValidationAction):
    def name(self) -> Text:
        return "validate_appointment_form"

    # --- extraction: every slot may come in any message (明天下午 13812345678) ---------

    async def extract_appt_item(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        kind, options = pending_choice(tracker)
        if kind == "appt_item" and tracker.get_slot("requested_slot") == "appt_item":
            index = choice(text_of(tracker), len(options))
            if index is not None:
                return {"appt_item": options[index], **_cleared_choice()}
        named = entity(tracker, "service_item")
        # The opening message may name the item even when NLU missed the entity (我想预约明天去办护照).
        opening = tracker.get_slot("appt_item") is None and intent_of(tracker) == "book_appointment"
        if named or opening or tracker.get_slot("requested_slot") == "appt_item":
            return await self._search_item(dispatcher, tracker, text_of(tracker))
        if tracker.get_slot("appt_item") is None and tracker.get_slot("item_code"):
            return {"appt_item": tracker.get_slot("item_code")}
        return {}

    async def _search_item(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> Dict[Text, Any]:
        found = await find_item(text)
        if found.candidates:
            dispatcher.utter_message(text="您要预约的是哪一项？\n" + numbered([c["name"] for c in found.candidates])
                                     + "\n请回复序号。")
            return {"appt_item": None, "choice_kind": "appt_item",
                    "choice_options": [c["code"] for c in found.candidates]}
        if found.code and found.code != tracker.get_slot("appt_item"):
            return {"appt_item": found.code, "appt_hall": None, "appt_confirmed": None}
        return {}

    async def extract_appt_hall(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        item = tracker.get_slot("appt_item")
        if not item or tracker.get_slot("appt_hall"):
            return {}
        guide = await portal().guide(item)
        halls = [h["code"] for h in guide["halls"]]
        if len(halls) == 1:
            return {"appt_hall": halls[0]}
        if tracker.get_slot("requested_slot") != "appt_hall":
            return {}
        text = text_of(tracker)
        index = choice(text, len(halls))
        if index is not None:
            return {"appt_hall": halls[index]}
        named = next((code for word, code in HALL_WORDS.items() if word in text and code in halls), None)
        return {"appt_hall": named} if named else {}

    async def extract_appt_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        kind, options = pending_choice(tracker)
        if kind == "appt_date" and tracker.get_slot("requested_slot") == "appt_date":
            index = choice(text_of(tracker), len(options))
            if index is not None:
                return {"appt_date": options[index], **_cleared_choice()}
        when = parse_when(text_of(tracker), china_now())
        if when is None or when.day is None:
            return {}
        result: Dict[Text, Any] = {"appt_date": when.day.isoformat(), "appt_confirmed": None}
        if when.hour is not None or when.hours != (0, 24):
            result["appt_when"] = [when.hour, *when.hours]
        return result

    async def extract_appt_hour(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        kind, options = pending_choice(tracker)
        text = text_of(tracker)
        if kind == "appt_hour" and tracker.get_slot("requested_slot") == "appt_hour":
            index = choice(text, len(options))
            if index is not None:
                return {"appt_hour": options[index], **_cleared_choice()}
        when = parse_when(text, china_now())
        if when is None or (when.hour is None and when.hours == (0, 24)):
            return {}
        return {"appt_when": [when.hour, *when.hours], "appt_hour": None, "appt_confirmed": None}

    async def extract_appt_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "appt_name":
            return {}
        kind, options = pending_choice(tracker)
        offered = kind == CONTACT_OFFERED and options
        intent = intent_of(tracker)
        if offered and (intent == "affirm" or choice(text_of(tracker), 1) == 0):
            name, phone = options[0]  # the last booking's contact: masked name, stored_contact(...)
            return {"appt_name": name, "appt_phone": phone, **_cleared_choice()}
        if offered and intent == "deny":  # 不是 / 换个人: ask for the name plainly
            return {"choice_kind": CONTACT_DECLINED, "choice_options": None}
        if intent in NOT_A_NAME:  # 算了 is a wish to stop, not a name
            return {}
        name = person_name(text_of(tracker).split()[0] if text_of(tracker).split() else "")
        if not name:
            return {}
        return {"appt_name": name, **(_cleared_choice() if kind in (CONTACT_OFFERED, CONTACT_DECLINED) else {})}

    async def extract_appt_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        phone = phone_number(text_of(tracker))
        if not phone:
            return {}
        if _stored(tracker.get_slot("appt_phone")):  # a new phone for the reused contact: its name is
            return {"appt_phone": phone, "appt_name": None}  # only known masked, so it is asked again
        return {"appt_phone": phone}

    async def extract_appt_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "appt_confirmed":
            return {}
        answer = confirms_booking(text_of(tracker), intent_of(tracker))
        return {} if answer is None else {"appt_confirmed": answer}

    # --- validation ---------------------------------------------------------------

    async def validate_appt_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"appt_item": None}
        guide = await portal().guide(value)
        if not guide["bookable"]:
            dispatcher.utter_message(text=f"{guide['name']}可全程网上办理，无需到大厅，也就不用预约。"
                                          f"办理渠道：{guide['online'].get('channel') or '江州政务服务网'}。")
            return {"appt_item": None, "requested_slot": None}
        if guide["online"]["fully_online"] and value != tracker.get_slot("item_code"):
            dispatcher.utter_message(text=f"提示：{guide['name']}可全程网办（0次跑动），渠道："
                                          f"{guide['online'].get('channel') or '江州政务服务网'}。如仍想到大厅办理，我们继续预约。")
        return {"appt_item": value, "item_code": value, "item_name": guide["name"]}

    async def validate_appt_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        item, hall = tracker.get_slot("appt_item"), tracker.get_slot("appt_hall")
        if value is None or not item or not hall:
            return {"appt_date": value}
        slots = await free_slots(item, hall)
        days = sorted({s["date"] for s in slots})
        if value not in days:
            bookable = sorted({s["date"] for s in await portal().slots(item, hall)})
            reason = "已约满" if value in bookable else "不在可预约范围内（可约次日起5个工作日，节假日除外）"
            dispatcher.utter_message(text=f"{day_label(value)}{reason}。")
            return {"appt_date": None}
        return {"appt_date": value, **await self._hour_from_wish(tracker, slots, value)}

    async def validate_appt_hour(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        item, hall, day = (tracker.get_slot(s) for s in ("appt_item", "appt_hall", "appt_date"))
        if value is None and tracker.get_slot("appt_when") and item and hall and day:
            slots = await free_slots(item, hall)
            result = await self._hour_from_wish(tracker, slots, day)
            if result.get("appt_hour") is None:
                dispatcher.utter_message(text=f"{day_label(day)}这个时段没有空位了。")
            return result
        # validate_appt_date may have just set the hour from the same message: keep it.
        return {"appt_hour": value if value is not None else tracker.get_slot("appt_hour")}

    async def _hour_from_wish(self, tracker: Tracker, slots: List[Dict[str, Any]], day: str) -> Dict[Text, Any]:
        wish = tracker.get_slot("appt_when")
        if not wish:
            return {}
        hour = pick_hour(slots, day, When(None, wish[0], (wish[1], wish[2])))
        return {"appt_hour": float(hour) if hour is not None else None, "appt_when": None}

    async def validate_appt_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        return {"appt_name": value}

    async def validate_appt_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        return {"appt_phone": value}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if tracker.get_slot("requested_slot") and gives_up_booking(text_of(tracker)):
            # "那就不约了吧" at any question ends the form without a booking, however NLU read it
            dispatcher.utter_message(response="utter_booking_stopped")
            return [*slots_reset(FORM_SLOTS), *CLEAR_CHOICE, SlotSet("requested_slot", None), ActiveLoop(None)]
        before = {name: tracker.slots.get(name) for name in HELPER_SLOTS}
        try:
            events = await super().run(dispatcher, tracker, domain)
        except PortalError:
            sorry_portal_down(dispatcher)
            return [SlotSet("requested_slot", None), *slots_reset(FORM_SLOTS)]
        # rasa-sdk returns only the form's own slots: keep what extraction set besides them.
        return events + [SlotSet(name, tracker.slots.get(name)) for name in HELPER_SLOTS
                         if tracker.slots.get(name) != before[name]]


def _cleared_choice() -> Dict[Text, Any]:
    return {"choice_kind": None, "choice_options": None}


class AskApptHall(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_hall"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        guide = await portal().guide(tracker.get_slot("appt_item"))
        say(dispatcher, f"{guide['name']}可在以下大厅办理，您想去哪一个？\n"
            + numbered([f"{h['name']}（{h['address']}）" for h in guide["halls"]]) + "\n请回复序号。")
        return []


class AskApptDate(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        try:
            slots = await free_slots(tracker.get_slot("appt_item"), tracker.get_slot("appt_hall"))
        except PortalError:
            sorry_portal_down(dispatcher)
            return []
        days = sorted({s["date"] for s in slots})
        if not days:
            dispatcher.utter_message(text="抱歉，未来5个工作日都已约满。可以稍后再试，或回复“转人工”咨询。")
            return []
        labels = [f"{day_label(d)} 剩余{sum(s['available'] for s in slots if s['date'] == d)}个号" for d in days]
        return offer_choices(dispatcher, "请选择预约日期（也可以直接说“明天下午”“下周三上午10点”）：",
                             labels, "appt_date", days)


class AskApptHour(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_hour"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        day = tracker.get_slot("appt_date")
        try:
            slots = [s for s in await free_slots(tracker.get_slot("appt_item"), tracker.get_slot("appt_hall"))
                     if s["date"] == day]
        except PortalError:
            sorry_portal_down(dispatcher)
            return []
        if not slots:
            dispatcher.utter_message(text=f"{day_label(day)}已约满，请换一天。")
            return [SlotSet("appt_date", None), FollowupAction("appointment_form")]
        labels = [f"{s['time']}（剩{s['available']}个）" for s in slots]
        return offer_choices(dispatcher, f"{day_label(day)}可约时段：", labels, "appt_hour",
                             [float(s["hour"]) for s in slots])


class AskApptName(SafeAction):
    """Asks who comes; a citizen who booked before is offered that booking's name and phone
    instead of typing them again."""

    def name(self) -> Text:
        return "action_ask_appt_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        contact = None
        if pending_choice(tracker)[0] != CONTACT_DECLINED:
            try:
                contact = await portal().last_contact(tracker.sender_id)
            except PortalError:
                pass  # the question can always be asked plainly
        if contact is None:
            dispatcher.utter_message(response="utter_ask_appt_name")
            return []
        return offer_choices(dispatcher, "预约人还用上次登记的吗？", [f"{contact['name']}，手机{contact['phone']}"],
                             CONTACT_OFFERED, [[contact["name"], stored_contact(contact["phone"], contact["handle"])]],
                             "回复“1”或“是”沿用，也可以直接告诉我新的预约人姓名。")


class AskApptConfirmed(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        guide = await portal().guide(tracker.get_slot("appt_item"))
        hall = next(h for h in guide["halls"] if h["code"] == tracker.get_slot("appt_hall"))
        hour = int(tracker.get_slot("appt_hour"))
        phone = tracker.get_slot("appt_phone")
        say(dispatcher, "请核对预约信息：\n"
            f"事项：{guide['name']}\n地点：{hall['name']} {hall['window']}\n"
            f"时间：{day_label(tracker.get_slot('appt_date'))} {hour:02d}:00-{hour + 1:02d}:00\n"
            f"姓名：{tracker.get_slot('appt_name')}\n手机：{shown_phone(phone)}\n"
            "确认请回复“确认”，不约了回复“取消”，也可以直接说要改的内容（如“换到后天上午”）。")
        return []


class ActionSubmitBooking(SafeAction):
    def name(self) -> Text:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        if tracker.get_slot("appt_item") is None:  # the form stopped early (e.g. item is online-only)
            return slots_reset(FORM_SLOTS)
        if not tracker.get_slot("appt_confirmed"):
            dispatcher.utter_message(text="好的，本次预约没有提交。需要时随时找我。")
            return slots_reset(FORM_SLOTS)
        request = {
            "item_code": tracker.get_slot("appt_item"), "hall_code": tracker.get_slot("appt_hall"),
            "date": tracker.get_slot("appt_date"), "hour": int(tracker.get_slot("appt_hour")),
            **contact_fields(tracker.get_slot("appt_name"), tracker.get_slot("appt_phone")),
            "openid": tracker.sender_id,
        }
        try:
            booking = await portal().book(request, _idempotency_key(request))
        except PortalRejected as error:
            return self._refused(dispatcher, error)
        except PortalUnavailable:
            sorry_portal_down(dispatcher)
            return []
        say(dispatcher, _confirmation(booking))
        return slots_reset(FORM_SLOTS)

    def _refused(self, dispatcher: CollectingDispatcher, error: PortalRejected) -> List[EventType]:
        if error.code == "slot_full":
            alternatives = error.details.get("alternatives", [])
            if alternatives:
                labels = [f"{day_label(a['date'])} {a['time']}" for a in alternatives]
                # Not numbered: the date list that follows is the one a "1" picks from.
                dispatcher.utter_message(text="抱歉，这个时段刚刚约满了。最近的空闲时段：\n"
                                              + "\n".join(f"· {label}" for label in labels)
                                              + "\n请告诉我您想约哪天几点。")
            return [SlotSet("appt_date", None), SlotSet("appt_hour", None), SlotSet("appt_confirmed", None),
                    FollowupAction("appointment_form")]
        if error.code == "contact_handle_invalid":  # the stored contact expired: ask who comes again
            dispatcher.utter_message(text="上次登记的联系人信息已失效，需要重新确认预约人。")
            return [SlotSet("appt_name", None), SlotSet("appt_phone", None), SlotSet("appt_confirmed", None),
                    FollowupAction("appointment_form")]
        if error.code == "already_booked":
            dispatcher.utter_message(text="您当天已经预约过这个事项了（每人每天每项只能约一次）。回复“我的预约”可查看。")
        else:
            dispatcher.utter_message(text=f"预约没有成功：{error.message}。如需帮助请回复“转人工”。")
        return slots_reset(FORM_SLOTS)


def _idempotency_key(request: Dict[str, Any]) -> str:
    """Same citizen, same booking: same key, so a repeated submission never books twice."""
    raw = "|".join(str(request[k]) for k in sorted(request))
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _confirmation(booking: Dict[str, Any]) -> str:
    materials = "、".join(m["name"] for m in booking["materials"][:5])
    return (f"预约成功！预约号：{booking['booking_no']}\n"
            f"时间：{day_label(booking['date'])} {booking['time']}\n"
            f"地点：{booking['hall_name']} {booking['window']}（{booking['address']}）\n"
            f"请带好：{materials}\n"
            "请提前10分钟到达，凭预约号取号。如需取消，请至少提前2小时回复“取消预约”。")


# Listing and cancelling bookings live in actions/cancel.py; re-exported for older imports.
from actions.cancel import (  # noqa: E402,F401
    ActionCancelBooking, ActionListBookings, AskCancelBookingNo, AskCancelConfirmed, ValidateCancelForm,
)
