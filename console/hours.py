"""Staff hours on China's working days: is someone there now, and when do they next open?

Working days follow the State Council's calendar (``govbot.workdays``): statutory holidays are
closed, 调休 make-up Saturdays and Sundays are open. Every instant is read as China time, so a
server (or a test clock) in UTC at 17:00 on the 9th already lives on the morning of the 10th.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator, Optional, Tuple

from govbot.clock import CHINA_TZ
from govbot.envsettings import TimeRange
from govbot.workdays import is_working_day

# Longer than any run of closed days (the Spring Festival week with its weekends is ten).
SEARCH_DAYS = 60


@dataclass(frozen=True)
class StaffHours:
    ranges: Tuple[TimeRange, ...]

    def is_open(self, now: datetime) -> bool:
        return self.closes_at(now) is not None

    def closes_at(self, now: datetime) -> Optional[datetime]:
        """The end of the staff period ``now`` falls in; None when staff are not in."""
        local = now.astimezone(CHINA_TZ)
        if not is_working_day(local.date()):
            return None
        return next((end for start, end in self._periods(local.date()) if start <= local < end), None)

    def next_opening(self, now: datetime) -> datetime:
        """``now`` when staff are in, else the next instant they are (a ticket's due time)."""
        local = now.astimezone(CHINA_TZ)
        for day in _days_from(local.date()):
            if is_working_day(day):
                for start, end in self._periods(day):
                    if local < end:
                        return max(start, local)
        raise RuntimeError(f"no working day within {SEARCH_DAYS} days of {local.date()}")

    def _periods(self, day: date) -> Iterator[Tuple[datetime, datetime]]:
        for start, end in self.ranges:
            yield (datetime.combine(day, start, tzinfo=CHINA_TZ), datetime.combine(day, end, tzinfo=CHINA_TZ))


def _days_from(day: date) -> Iterator[date]:
    return (day + timedelta(days=offset) for offset in range(SEARCH_DAYS))
