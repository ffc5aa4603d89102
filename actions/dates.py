"""Chinese day and time expressions (明天下午, 下周三, 12月3号上午十点, 大后天) for booking.

jionlp does the parsing; this module only prepares the text (traditional characters to
simplified with OpenCC, colloquial and Cantonese words to the ones jionlp knows), guards every
call, and turns the result into what a booking needs: a day, and an hour or a part of the day.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional, Tuple

import jionlp

from govbot.clock import CHINA_TZ
from govbot.script import to_simplified

logger = logging.getLogger(__name__)
_REWRITES = (("听日", "明天"), ("后日", "后天"), ("今日", "今天"), ("下昼", "下午"), ("朝早", "上午"),
             ("明朝", "明天"), ("今朝", "今天"), ("后朝", "后天"), ("下半天", "下午"), ("上半天", "上午"),
             ("下半日", "下午"), ("上半日", "上午"), ("明早", "明天上午"), ("明晚", "明天晚上"), ("后早", "后天上午"),
             ("今早", "今天上午"), ("下礼拜", "下周"), ("礼拜天", "周日"), ("星期天", "周日"), ("大大后天", "4天后"),
             ("早上", "上午"), ("早晨", "上午"), ("一早", "上午"), ("中午", "12点"), ("两点", "2点"),
             ("换成", " "), ("改成", " "), ("换到", " "), ("改到", " "))  # 换成周二: jionlp reads 成周 badly
_CHANGE = re.compile(r"改|换|还是|不如")
_NOW = re.compile(r"现在|此刻|目前|刚才|刚刚|马上|立刻|这会儿?")  # "现在可以了吗" speaks of no booking time
_HAS_DAY = re.compile(r"今|明|后天|周|星期|礼拜|月|号|日|/|天后")
_PART_OF_DAY = {"上午": (0, 12), "下午": (12, 24), "晚上": (18, 24)}
NUMBERS = re.compile(r"\d{6,}[\dXx]?")  # phone and ID numbers: never a time
_TIME_WORDS = re.compile(r"点|:|：|时|午|晚|早|今|明|后天|周|星期|礼拜|月|号|日|天")


@dataclass(frozen=True)
class When:
    day: Optional[date]              # None: the text named no day (e.g. just 下午三点)
    hour: Optional[int]              # an exact hour, when one was given
    hours: Tuple[int, int] = (0, 24)  # otherwise the part of day, as [start, end)


def parse_when(text: str, now: datetime) -> Optional[When]:
    """The day and time in ``text`` relative to ``now`` (China time; a naive ``now`` is taken as
    China's wall clock); ``None`` if there is none. In a change of mind the time after the change
    word is meant (上午有事 改下午: 下午)."""
    changed = _CHANGE.split(text)
    tail = changed[-1].lstrip("成到为去在") if len(changed) > 1 else ""
    return (_parse(tail, now) if tail else None) or _parse(text, now)


def _parse(text: str, now: datetime) -> Optional[When]:
    prepared = _prepare(text)
    now = china_wall_clock(now)
    try:  # a datetime, not a timestamp: jionlp would read a timestamp in the server's own zone
        found = jionlp.ner.extract_time(prepared, time_base=now, with_parsing=True)
    except Exception:  # noqa: BLE001 - jionlp raises many kinds on odd input; no date is the answer
        logger.info("date parser failed on a message of %d characters", len(text))
        return None
    points = [f for f in found if f.get("detail", {}).get("type") == "time_point" and not _NOW.fullmatch(f["text"])]
    if not points:
        return None
    matched, detail = points[0]["text"], points[0]["detail"]
    start = datetime.strptime(detail["time"][0], "%Y-%m-%d %H:%M:%S")
    end = datetime.strptime(detail["time"][1], "%Y-%m-%d %H:%M:%S")
    day = _roll_forward(start.date(), now.date(), matched) if _HAS_DAY.search(matched) else None
    if detail["definition"] == "accurate" and end - start <= timedelta(hours=1):
        return When(day, start.hour)
    part = next((hours for word, hours in _PART_OF_DAY.items() if word in matched), (0, 24))
    return When(day, None, part)


def when_said(text: str, now: datetime) -> Optional[When]:
    """The day and time a message speaks of, if its words speak of one at all: a bare "1" picks
    an option (not 1 o'clock) and a phone number is never read as a date."""
    text = NUMBERS.sub(" ", text)
    return parse_when(text, now) if _TIME_WORDS.search(text) else None


_TIME_CHARS = re.compile(r"[今明后大前天上下午晚早中周星期礼拜一二三四五六七八九十两零〇日号月点半刻分时:：/\d]")
_FILLERS = re.compile(r"[的吧呢啊呀了就那个这行可以好都我想要去来过在吗么嘛也还是先\s，。,.!！?？~～]")


def only_a_time(text: str) -> bool:
    """The message says a day or time and little else (那就明天吧, 下周三上午可以吗), unlike
    明天上海天气咋样, which names a day but is about something else."""
    return len(_FILLERS.sub("", _TIME_CHARS.sub("", text))) <= 1


def china_wall_clock(now: datetime) -> datetime:
    """``now`` as the naive wall-clock time in China, whatever zone it (or the server) is in:
    between 00:00 and 08:00 China time, UTC's date is still yesterday."""
    return now.astimezone(CHINA_TZ).replace(tzinfo=None) if now.tzinfo is not None else now


def _prepare(text: str) -> str:
    text = to_simplified(text)
    for old, new in _REWRITES:
        text = text.replace(old, new)
    return text


def _roll_forward(day: date, today: date, matched: str) -> date:
    """``3号`` said on 25 November means 3 December: a bare day of month is never in the past;
    nor is a bare weekday (周一 said on a Wednesday is the coming Monday)."""
    if re.search(r"上(个)?(周|星期|礼拜|月)|昨|前天", matched):  # said of the past: kept there
        return day
    if day < today and re.search(r"周|星期|礼拜", matched):
        return day + timedelta(days=7 * ((today - day).days // 7 + 1))
    if day < today and "月" not in matched and "/" not in matched:
        month = day.month % 12 + 1
        year = day.year + (day.month == 12)
        try:
            return day.replace(year=year, month=month)
        except ValueError:
            return day
    return day
