"""When and where a booking can be: the free slots, the default hall and hour, and what to say
when the day or the part of day asked for cannot be booked (the true reason and the nearest
free slots as a numbered list that a "1" picks from).

The rules (also in README "How the booking form chooses"):
- hall left to us (one hall serves the item, or 随便/哪个都行/最近的): the hall with the
  earliest free slot in the day and part of day asked for;
- part of day only: the earliest free hour in it;
- day full or not bookable: its reason, and the 3 free slots nearest to the time asked for.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from actions.booking_facts import ANY_HALL
from actions.common import day_label
from actions.gov_api import gov_api

Slot = Dict[str, Any]
ALTERNATIVES = 3
OFFERED = "最近可约"  # the words that head the numbered alternatives
SLOT_CHOICE = "appt_slot"  # choice_kind of the numbered alternatives: options are [date, hour, hall]
_REASONS = {"weekend": "是周末，大厅不办公", "outside_window": "超出可预约范围（可约次日起5个工作日）",
            "full": "已约满"}


async def free_slots(item: str, hall: Optional[str]) -> List[Slot]:
    """Free slots of the item, in ``hall`` or (None / any hall) in every hall that serves it."""
    hall = None if hall in (None, ANY_HALL) else hall
    return [s for s in await gov_api().slots(item, hall) if s["available"] > 0]


def in_wish(slot: Slot, wish: Optional[Sequence[Any]]) -> bool:
    """Whether ``slot`` is at the hour or in the part of day of ``wish`` ([hour, from, to])."""
    if not wish:
        return True
    hour, start, end = wish
    return slot["hour"] == hour if hour is not None else start <= slot["hour"] < end


def earliest(slots: List[Slot], day: Optional[str], wish: Optional[Sequence[Any]]) -> Optional[Slot]:
    """The earliest free slot on ``day`` (any day if None) that fits the wish."""
    fitting = [s for s in slots if (day is None or s["date"] == day) and in_wish(s, wish)]
    return min(fitting, key=lambda s: (s["date"], s["hour"]), default=None)  # ties: the catalog's first hall


def nearest(slots: List[Slot], day: str, wish: Optional[Sequence[Any]], count: int = ALTERNATIVES) -> List[Slot]:
    """The free slots nearest to the time asked for: the closest days first and, within a day,
    the closest hour, nearest first; one per day and part of day, so the list offers real choices."""
    wanted_hour = max((wish[0] if wish[0] is not None else wish[1]) if wish else 9, 9)
    asked = datetime.fromisoformat(day).date()

    def distance(slot: Slot) -> Tuple[int, int, str]:
        days = abs((datetime.fromisoformat(slot["date"]).date() - asked).days)
        return days, abs(slot["hour"] - wanted_hour), slot["date"]

    seen, result = set(), []
    for slot in sorted(slots, key=distance):
        key = (slot["date"], slot["hour"] < 12)
        if key not in seen:
            seen.add(key)
            result.append(slot)
    return result[:count]


def wish_label(day: str, wish: Optional[Sequence[Any]]) -> str:
    """明天上午 / 12月8日（周二）14:00 as the citizen asked for it."""
    label = day_label(day)
    if not wish:
        return label
    hour, start, end = wish
    if hour is not None:
        return f"{label}{hour:02d}:00"
    return label + ("上午" if end <= 12 else "晚上" if start >= 18 else "下午" if start >= 12 else "")


def slot_label(slot: Slot) -> str:
    return f"{day_label(slot['date'])}{slot['hour']:02d}:00"


def reason_text(day_info: Dict[str, Any]) -> str:
    """The true reason a day cannot be booked, from the portal's booking-day answer."""
    if day_info.get("reason") == "holiday":
        return f"是法定节假日（{day_info.get('holiday') or '节假日'}），大厅不办公"
    return _REASONS.get(day_info.get("reason") or "full", "已约满")


def alternatives_message(head: str, options: List[Slot]) -> Tuple[str, List[List[Any]]]:
    """"后天上午已约满。最近可约：1. …" and the options a number picks ([date, hour, hall])."""
    if not options:
        return f"{head}。未来5个工作日都已约满，可以稍后再试，或回复“转人工”咨询。", []
    lines = "\n".join(f"{n}. {slot_label(s)}" for n, s in enumerate(options, start=1))
    return (f"{head}。{OFFERED}：\n{lines}\n请回复序号，或直接说想约的时间。",
            [[s["date"], float(s["hour"]), s["hall_code"]] for s in options])
