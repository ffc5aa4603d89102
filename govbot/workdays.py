"""Working days in mainland China: statutory holidays are closed, 调休 make-up days are open.

One calendar for every process: the portal's booking window and answer days, the staff
console's hours and ticket days. The State Council's calendar comes from ``chinese_calendar``.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Optional, Set

import chinese_calendar

logger = logging.getLogger(__name__)
# Without the State Council's calendar for a year, only the fixed-date holidays are certain.
FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}
_warned_years: Set[int] = set()


def _known_year(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
        return True
    except NotImplementedError:
        if day.year not in _warned_years:  # once per year, not once per day asked
            _warned_years.add(day.year)
            logger.warning("no official holiday calendar for %s yet; using weekends and fixed-date holidays "
                           "(元旦, 劳动节, 国庆节)", day.year)
        return False


def holiday_name(day: date) -> Optional[str]:
    """The statutory holiday ``day`` belongs to, in Chinese (国庆节), or None."""
    if not _known_year(day):
        return FIXED_HOLIDAYS.get((day.month, day.day))
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if not on_holiday or name is None:
        return None
    return next((h.chinese for h in chinese_calendar.Holiday if h.value == name), name)


def is_working_day(day: date) -> bool:
    if _known_year(day):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (a deadline such as "5个工作日内答复")."""
    found = 0
    while found < count:
        day += timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day
