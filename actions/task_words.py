"""Tasks a citizen names outright: 投诉… starts a complaint, 约了个号想取消 starts the cancel form,
whatever intent the NLU gave the message (it reads 投诉车管所 as a guide question and
我在网上约了个号 想取消 as a booking). The one place these words are read; the guide answer,
the short-reply handler, the clarification and the booking form's opening ask it first.
"""
from __future__ import annotations

import re
from typing import List, Optional

from rasa_sdk.events import EventType, FollowupAction

from actions.common import CLEAR_CHOICE
from actions.repair import plain
from actions.values import application_id, booking_number, id_number, phone_number

# 投诉车管所 / 我要举报 / 我要反映个问题; not 投诉电话是多少 (a guide question about the hotline)
_COMPLAIN = re.compile(r"投诉(?!电话|热线|渠道|方式|号码)|举报(?!电话|热线)|我要反映|我想反映")
# 取消 / 退掉 / 撤销 … with a booking in the same message: 约了个号 想取消, 取消预约 编号YY…
_CANCEL_VERB = re.compile(r"(?<![不别])(取消|退掉|退了|退号|撤销|撤掉|撤了|撤回|作废|销了|删了|删掉|不要了)")
_BOOKING_NOUN = re.compile(r"约|号|预定|预订|YY\d", re.IGNORECASE)
_KEEP = re.compile(r"(不|别|先不|不用|不要|不想)(要)?(取消|退|撤)")  # 先不取消了 / 别取消: keep it
# An existing booking spoken of: 约了 / 约的 / 预约号 / 已经约 / a booking number
_EXISTING = re.compile(r"约了|约的|约好|约上|约成|约到|预约号|已经约|已约|YY\d", re.IGNORECASE)


# A new booking asked for: 我要预约, 帮我约一个, 约明天上午, 挂个号; not 大约 (about), not one
# already made (约的, 我的预约, 约了吗) or undone (取消, 不约, 退, 撤).
_BOOKING_ASKED = re.compile(r"(?<!大)约(?!莫)|[挂排取](个|一个)?(今天|明天|后天|周.|星期.|下周.|上午|下午|的){0,3}号")
_NOT_NEW_BOOKING = re.compile(r"取消|不约|退|撤|我的预约|约的|约过|约了(吗|没)|预约[号单]|预约编号|[那这]个预约|YY\d",
                              re.IGNORECASE)


def wants_booking(text: str) -> bool:
    """The words ask for a new booking, whatever the NLU's intent."""
    said = plain(text)
    return bool(_BOOKING_ASKED.search(said)) and not _NOT_NEW_BOOKING.search(said)


def wants_complaint(text: str) -> bool:
    return bool(_COMPLAIN.search(plain(text)))


def wants_cancel(text: str) -> bool:
    """Cancelling a booking: a cancel verb and a booking in one message, not negated."""
    said = plain(text)
    return bool(_CANCEL_VERB.search(said) and _BOOKING_NOUN.search(said)) and not _KEEP.search(said)


def speaks_of_existing_booking(text: str) -> bool:
    return bool(_EXISTING.search(plain(text)))


_ASKS_ABOUT = re.compile(r"吗|么|嘛|没有?$|还在|还有效|哪天|几号|几点|什么时[候间]|是啥|是什么|是不是|"
                         r"是.{1,8}的$|[?？]")


def asks_about_bookings(text: str) -> bool:
    """我之前约的那个还在吗 / 我约的是哪天来着: a question about bookings already made, not a wish to
    cancel one or to stop what is in progress."""
    return speaks_of_existing_booking(text) and not wants_cancel(text) and bool(_ASKS_ABOUT.search(plain(text)))


# A question or a purpose said around a number: 咋还没动静, 批了没, 办好了吗, 查一下, 到哪了
_ASKED = re.compile(r"[吗么嘛呢?？]|没|咋|怎么|啥|什么|查|进度|到哪|好了|批|动静|情况|结果|通过|审核")


def purpose_with_number(text: str) -> Optional[str]:
    """The intent of a message that carries a number and says what it is for (取消 YY…, 我约的…
    手机…, SQ… 咋还没动静, 取个明天的号 电话…), or None for a bare value (SQ… 139…, 预约号是YY…)."""
    if not (phone_number(text) or application_id(text) or booking_number(text) or id_number(text)):
        return None
    if wants_cancel(text):
        return "cancel_appointment"
    if asks_about_bookings(text):
        return "query_appointment"
    if wants_booking(text):
        return "book_appointment"
    if (application_id(text) or id_number(text)) and _ASKED.search(_without_numbers(text)):
        return "check_status"
    return None


def _without_numbers(text: str) -> str:
    return re.sub(r"[A-Za-z]{0,2}[\d\s]{4,}[Xx]?", " ", text)


def task_named(text: str) -> Optional[str]:
    """The form the words start (``complaint_form``, ``cancel_form``), or None."""
    if wants_complaint(text):
        return "complaint_form"
    if wants_cancel(text):
        return "cancel_form"
    return None


def switch_to_named_task(text: str) -> Optional[List[EventType]]:
    """Events that start the task the words name, or None when they name none."""
    form = task_named(text)
    return [*CLEAR_CHOICE, FollowupAction(form)] if form else None
