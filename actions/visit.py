"""How a booking starts outside a form, whatever the NLU made of the message.

A message that plans a visit (周五下午去车管所补驾照, 户口本丢了 后天上午去补) is a booking, even
when it reads like a guide question or the NLU is unsure: the appointment form starts and reads
the message for every fact in it (item, day, hour, hall, name, phone). A question about opening
hours (周六上班吗, 周日能办护照吗) or about an application already made (昨天办的护照好了没) is not a plan.

After a guide answer the bot offers the booking; the citizen often answers with the booking's
facts (罗志勇 18600004545, 明天下午 去市民中心) or a yes in dialect (要得, 中): that accepts it.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet

from actions.booking_facts import names_service, speaks_of_hall
from actions.common import CLEAR_CHOICE, text_of
from actions.dates import china_wall_clock, when_said
from actions.values import confirms_booking, phone_number
from govbot.clock import china_now

OFFER_KIND = "offer_booking"  # choice_kind while a guide answer's offer to book is open
# Asking when a hall is open, not planning to come: 周六上班吗, 明天开门不, 下午几点下班.
_OPENING_HOURS = re.compile(r"(上班|下班|开门|关门|营业|办公|开放|休息|放假)(吗|么|嘛|不|没|了吗|\?|？)|"
                            r"几点(钟)?(上班|下班|开门|关门|开始|结束|截止)|(上班|营业|办公|开放)时间")
# A question (周六能办吗, 周日开不开): about a weekend day it asks whether the halls open then.
_ASKS = re.compile(r"[吗么嘛?？]|不[了啦呀啊]?$|(.)不\1")
# About an application already made: 昨天办的护照好了没, 周一交的材料怎么还没下来.
_ALREADY_APPLIED = re.compile(r"进度|还没(好|下来|出来|拿到|办好|通过)|怎么还|好了没|好了吗|办好了吗|办过|提交了|"
                              r"申请了|交了|交的|办的")


def plans_visit(text: str, now: datetime) -> bool:
    """A day or a part of day still to come, together with a service or a hall: 这周五下午三点去
    出入境办港澳通行证, 后天上午去补户口本, 周四下午东城办户口迁入."""
    when = when_said(text, now)
    if when is None or (when.day is None and when.hour is None and when.hours == (0, 24)):
        return False
    if when.day is not None and when.day < china_wall_clock(now).date():
        return False
    if _OPENING_HOURS.search(text) or _ALREADY_APPLIED.search(text):
        return False
    if when.day is not None and when.day.weekday() >= 5 and _ASKS.search(text):
        return False
    return names_service(text) or speaks_of_hall(text)


def start_booking() -> List[EventType]:
    """The appointment form starts on the current message and reads every fact in it."""
    return [*CLEAR_CHOICE, FollowupAction("appointment_form")]


def planned_booking(tracker: Tracker) -> Optional[List[EventType]]:
    """The booking a message outside any form plans, or None when it plans no visit."""
    if tracker.active_loop_name or not plans_visit(text_of(tracker), china_now()):
        return None
    return start_booking()


def gives_booking_facts(text: str) -> bool:
    """A phone number, a day or a hall: facts only a booking needs (罗志勇 18600004545)."""
    return bool(phone_number(text) or when_said(text, china_now()) or speaks_of_hall(text))


def answers_offer(text: str, intent: str, said_name: Optional[str] = None) -> Optional[bool]:
    """The reply to the offer to book: True takes it (好, 可以, 要得, 中, 确认, or the booking's facts
    themselves: a name, a phone, a day, a hall), False declines it (不用了), None is neither."""
    facts = bool(said_name or gives_booking_facts(text))
    if intent == "deny" and not facts:  # 好的 read as deny is "ok, no need" (the NLU heard the tone)
        return False
    answer = confirms_booking(text, intent)
    if answer is not None:
        return answer
    return True if facts else None


def accept_offer(text: str, offered: str) -> List[EventType]:
    """Starts the booking of the offered item; a message that names a service of its own
    (明天下午去东城办居住证) is searched by the form instead."""
    preset = [] if names_service(text) else [SlotSet("appt_item", offered)]
    return [*CLEAR_CHOICE, *preset, FollowupAction("appointment_form")]


def offer_pending(tracker: Tracker) -> Optional[str]:
    """The item of the open offer to book, if one is open (it stays open across a side question,
    a greeting or chitchat: only a new list or answer replaces ``choice_kind``)."""
    if tracker.get_slot("choice_kind") != OFFER_KIND:
        return None
    options = tracker.get_slot("choice_options") or []
    return options[0] if options else None

