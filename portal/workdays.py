"""Working days in mainland China: statutory holidays are closed, 调休 make-up days are open."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import List

import chinese_calendar

logger = logging.getLogger(__name__)
BOOKING_HORIZON_WORKDAYS = 5


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The package knows each year once the State Council publishes it; beyond that,
        # fall back to Monday-Friday and say so, rather than closing the booking window.
        logger.warning("no official holiday calendar for %s yet; assuming Mon-Fri", day.year)
        return day.weekday() < 5


def bookable_days(now: datetime, count: int = BOOKING_HORIZON_WORKDAYS) -> List[date]:
    """The next ``count`` working days, starting tomorrow."""
    days: List[date] = []
    day = now.date()
    while len(days) < count:
        day += timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    return days


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (a deadline such as "5个工作日内答复")."""
    found = 0
    while found < count:
        day += timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day
