"""The booking form's questions. Each is asked at most twice in a row: the second time with
numbered options and the offer of a human; instead of a third time the form takes a sensible
default (the earliest free hall, day or hour) or ends politely with the offer of a human.

A portal failure while asking gives the apology once (not again after the validation's) and
keeps everything collected; the citizen's next message continues the form.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_state import (
    CONTACT_DECLINED,
    CONTACT_OFFERED,
    FORM_SLOTS,
    HUMAN_OFFER,
    apologised_this_turn,
    said_this_turn,
    shown_phone,
    stored_contact,
)
from actions.booking_times import OFFERED, earliest, free_slots, slot_label
from actions.common import CLEAR_CHOICE, day_label, offer_choices, pending_choice, say, slots_reset, sorry_portal_down
from actions.failsafe import SafeAction
from actions.gov_api import GovApiError, gov_api
from actions.repair import times_asked_in_a_row

# Offered the second time the item is asked without candidates: the items most booked.
COMMON_ITEMS = ["GA-0003", "GA-0002", "CRJ-0001", "CRJ-0003", "GA-0007", "JJ-0001"]
LAST_TIME = 2  # asked twice in a row already: no third time


def _sorry_once(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    if not apologised_this_turn(tracker):
        sorry_portal_down(dispatcher)
    return []


def stop_asking(dispatcher: CollectingDispatcher, text: str) -> List[EventType]:
    """Ends the form without a booking, politely, with the offer of a human."""
    say(dispatcher, f"{text}{HUMAN_OFFER}需要时再发“预约”就可以重新开始。")
    return [*slots_reset(FORM_SLOTS), *CLEAR_CHOICE, SlotSet("appt_when", None), SlotSet("requested_slot", None)]


def take_default(dispatcher: CollectingDispatcher, text: str, slot: str, value: Any) -> List[EventType]:
    """Fills ``slot`` with the default, says so, and lets the form go on to the next question."""
    dispatcher.utter_message(text=text)
    return [SlotSet(slot, value), *CLEAR_CHOICE, FollowupAction("appointment_form")]


def read_backs_in_a_row(tracker: Tracker) -> int:
    """How often the same read-back was shown in a row: a correction (a changed fact) makes the
    next read-back a new one, not a repeat."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "slot":
            continue
        if event.get("name") == "requested_slot":
            if event.get("value") != "appt_confirmed":
                break
            count += 1
        elif event.get("name") in FORM_SLOTS[:-1] and event.get("value") is not None:
            break
    return count


def _outro(times: int, plain: str = "请回复序号。") -> str:
    return plain + (HUMAN_OFFER if times else "")


class AskApptItem(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        times = times_asked_in_a_row(tracker, "appt_item")
        if times >= LAST_TIME:
            return stop_asking(dispatcher, "抱歉，我还没弄清您要预约哪项业务，这次先不约了。")
        kind, options = pending_choice(tracker)
        codes = options if kind == "appt_item" and options else (COMMON_ITEMS if times else [])
        if not codes:
            dispatcher.utter_message(response="utter_ask_appt_item")
            return []
        try:
            names = [(await gov_api().guide(code))["name"] for code in codes]
        except GovApiError:
            return _sorry_once(dispatcher, tracker)
        return offer_choices(dispatcher, "您要预约的是哪一项？", names, "appt_item", codes,
                             _outro(times, "请回复序号，也可以直接说事项名称。"))


class AskApptHall(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_hall"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        item, day, wish = (tracker.get_slot(s) for s in ("appt_item", "appt_date", "appt_when"))
        times = times_asked_in_a_row(tracker, "appt_hall")
        try:
            guide = await gov_api().guide(item)
            slots = await free_slots(item, None)
        except GovApiError:
            return _sorry_once(dispatcher, tracker)
        first = earliest(slots, day, wish) or earliest(slots, None, None)
        if times >= LAST_TIME and first:
            hall = next(h for h in guide["halls"] if h["code"] == first["hall_code"])
            return take_default(dispatcher, f"我先为您选了最早有空的{hall['name']}，核对时可以回复“换个大厅”。",
                                "appt_hall", hall["code"])
        if times >= LAST_TIME:
            return stop_asking(dispatcher, f"抱歉，{guide['name']}近5个工作日各大厅都已约满，这次先不约了。")
        labels = []
        for hall in guide["halls"]:
            soonest = earliest([s for s in slots if s["hall_code"] == hall["code"]], None, None)
            extra = f"，最早可约{slot_label(soonest)}" if times and soonest else ""
            labels.append(f"{hall['name']}（{hall['address']}{extra}）")
        return offer_choices(dispatcher, f"{guide['name']}可在以下大厅办理，您想去哪一个？", labels, "appt_hall",
                             [h["code"] for h in guide["halls"]],
                             _outro(times, "请回复序号；说“随便”我就为您选最早有空的大厅。"))


class AskApptDate(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        times = times_asked_in_a_row(tracker, "appt_date")
        if said_this_turn(tracker, OFFERED):  # the nearest free slots were just offered: that is the question
            return []
        try:
            slots = await free_slots(tracker.get_slot("appt_item"), tracker.get_slot("appt_hall"))
        except GovApiError:
            return _sorry_once(dispatcher, tracker)
        days = sorted({s["date"] for s in slots})
        if not days:
            return stop_asking(dispatcher, "抱歉，未来5个工作日都已约满，这次先不约了。")
        if times >= LAST_TIME:
            return take_default(dispatcher, f"我先为您选了最早可约的{day_label(days[0])}，核对时可以改。",
                                "appt_date", days[0])
        labels = [f"{day_label(d)} 剩余{sum(s['available'] for s in slots if s['date'] == d)}个号" for d in days]
        return offer_choices(dispatcher, "请选择预约日期（也可以直接说“明天下午”“下周三上午10点”）：",
                             labels, "appt_date", days, _outro(times))


class AskApptHour(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_hour"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        day, times = tracker.get_slot("appt_date"), times_asked_in_a_row(tracker, "appt_hour")
        if said_this_turn(tracker, OFFERED):  # the nearest free slots were just offered: that is the question
            return []
        try:
            slots = [s for s in await free_slots(tracker.get_slot("appt_item"), tracker.get_slot("appt_hall"))
                     if s["date"] == day]
        except GovApiError:
            return _sorry_once(dispatcher, tracker)
        hours = sorted({s["hour"] for s in slots})
        if not hours:
            dispatcher.utter_message(text=f"{day_label(day)}已约满，请换一天。")
            return [SlotSet("appt_date", None), FollowupAction("appointment_form")]
        if times >= LAST_TIME:
            return take_default(dispatcher, f"我先为您选了最早的{hours[0]:02d}:00，核对时可以改。",
                                "appt_hour", float(hours[0]))
        labels = [f"{h:02d}:00-{h + 1:02d}:00" for h in hours]
        return offer_choices(dispatcher, f"{day_label(day)}可约时段：", labels, "appt_hour",
                             [float(h) for h in hours], _outro(times))


class AskApptName(SafeAction):
    """Asks who comes; a citizen who booked before is offered that booking's name and phone
    instead of typing them again."""

    def name(self) -> Text:
        return "action_ask_appt_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        times = times_asked_in_a_row(tracker, "appt_name")
        if times >= LAST_TIME:
            return stop_asking(dispatcher, "抱歉，预约需要预约人的姓名，这次先不约了。")
        if times:
            dispatcher.utter_message(text=f"请直接发预约人的姓名，例如“张三”。{HUMAN_OFFER}")
            return list(CLEAR_CHOICE)
        contact = await self._last_contact(tracker)
        if contact is None:
            dispatcher.utter_message(response="utter_ask_appt_name")
            return []
        return offer_choices(dispatcher, "预约人还用上次登记的吗？", [f"{contact['name']}，手机{contact['phone']}"],
                             CONTACT_OFFERED, [[contact["name"], stored_contact(contact["phone"], contact["handle"])]],
                             "回复“1”或“是”沿用，也可以直接告诉我新的预约人姓名。")

    async def _last_contact(self, tracker: Tracker) -> Optional[Dict[str, str]]:
        if pending_choice(tracker)[0] == CONTACT_DECLINED:
            return None
        try:
            return await gov_api().last_contact(tracker.sender_id)
        except GovApiError:
            return None  # the question can always be asked plainly


class AskApptPhone(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        times = times_asked_in_a_row(tracker, "appt_phone")
        if times >= LAST_TIME:
            return stop_asking(dispatcher, "抱歉，预约需要一个11位手机号接收提醒，这次先不约了。")
        if times:
            dispatcher.utter_message(text=f"请发11位手机号，例如“13812345678”。{HUMAN_OFFER}")
        else:
            dispatcher.utter_message(response="utter_ask_appt_phone")
        return []


class AskApptConfirmed(SafeAction):
    def name(self) -> Text:
        return "action_ask_appt_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        times = min(read_backs_in_a_row(tracker), times_asked_in_a_row(tracker, "appt_confirmed"))
        if times >= LAST_TIME:
            return stop_asking(dispatcher, "没能确认预约信息，本次预约没有提交。")
        try:
            guide = await gov_api().guide(tracker.get_slot("appt_item"))
        except GovApiError:
            return _sorry_once(dispatcher, tracker)
        hall = next(h for h in guide["halls"] if h["code"] == tracker.get_slot("appt_hall"))
        hour = int(tracker.get_slot("appt_hour"))
        change_hall = "、“换个大厅”" if len(guide["halls"]) > 1 else ""
        answer = ("请回复序号：\n1. 确认预约\n2. 先不约了\n" + HUMAN_OFFER if times else
                  "确认请回复“确认”，不约了回复“先不约”。")
        say(dispatcher, "请核对预约信息：\n"
            f"事项：{guide['name']}\n地点：{hall['name']} {hall['window']}\n"
            f"时间：{day_label(tracker.get_slot('appt_date'))} {hour:02d}:00-{hour + 1:02d}:00\n"
            f"姓名：{tracker.get_slot('appt_name')}\n手机：{shown_phone(tracker.get_slot('appt_phone'))}\n"
            f"{answer}要改可以直接说（如“换到后天上午”{change_hall}）。")
        return [SlotSet("choice_kind", "appt_confirmed"), SlotSet("choice_options", [True, False])]


__all__ = ["AskApptItem", "AskApptHall", "AskApptDate", "AskApptHour", "AskApptName", "AskApptPhone",
           "AskApptConfirmed"]
