"""The portal's booking window and the reason a day cannot be booked (weekend, a named holiday,
outside the window), decided here once for its slots and its booking-day answer; the calendar
itself (holidays, 调休 make-up days) is ``govbot.workdays``.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import List, Optional

from govbot.workdays import holiday_name, is_working_day, working_days_after

__all__ = ["BOOKING_HORIZON_WORKDAYS", "bookable_days", "closed_reason", "holiday_name", "is_working_day",
           "working_days_after"]
BOOKING_HORIZON_WORKDAYS = 5


def bookable_days(now: datetime, count: int = BOOKING_HORIZON_WORKDAYS) -> List[date]:
    """The next ``count`` working days, starting tomorrow."""
    days: List[date] = []
    day = now.date()
    while len(days) < count:
        day += timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    return days


def closed_reason(day: date, now: datetime) -> Optional[str]:
    """Why ``day`` cannot be booked at all: "holiday", "weekend", "outside_window", or None when
    it is in the window (it may still be full)."""
    if day in bookable_days(now):
        return None
    if not is_working_day(day):
        return "holiday" if holiday_name(day) else "weekend"
    return "outside_window"
