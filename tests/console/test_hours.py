"""Staff hours on a fixed clock: working days, a 调休 Saturday, the 2026 National Day week,
split hours, and instants given in UTC that are already the next day in China."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from console.hours import StaffHours
from console.settings import ConsoleSettings
from govbot import envsettings as read
from govbot.clock import CHINA_TZ

DAY_HOURS = StaffHours(ConsoleSettings().staff_hours)  # 09:00-17:00
SPLIT_HOURS = StaffHours(read.time_ranges({}, "CONSOLE_STAFF_HOURS", "09:00-12:00,13:30-17:00"))


def china(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, opening", [
    (china(2026, 11, 25, 10, 0), china(2026, 11, 25, 10, 0)),    # Wednesday morning: in, now
    (china(2026, 11, 25, 8, 59), china(2026, 11, 25, 9, 0)),     # just before opening
    (china(2026, 11, 25, 17, 0), china(2026, 11, 26, 9, 0)),     # closing time is closed
    (china(2026, 11, 27, 18, 0), china(2026, 11, 30, 9, 0)),     # Friday evening: Monday
    (china(2026, 11, 28, 11, 0), china(2026, 11, 30, 9, 0)),     # a plain Saturday
    (china(2026, 10, 10, 10, 0), china(2026, 10, 10, 10, 0)),    # 调休 Saturday after 国庆: in
    (china(2026, 10, 9, 18, 0), china(2026, 10, 10, 9, 0)),      # Friday evening before it: Saturday
    (china(2026, 9, 20, 9, 30), china(2026, 9, 20, 9, 30)),      # 调休 Sunday before 中秋: in
    (china(2026, 10, 1, 10, 0), china(2026, 10, 8, 9, 0)),       # 国庆节
    (china(2026, 9, 24, 17, 30), china(2026, 9, 28, 9, 0)),      # 中秋 Friday, then the weekend
    (china(2026, 9, 30, 23, 0), china(2026, 10, 8, 9, 0)),       # eve of the week
    (utc(2026, 10, 9, 16, 30), china(2026, 10, 10, 9, 0)),       # Fri 16:30 UTC = Sat 00:30 China
    (utc(2026, 11, 25, 23, 30), china(2026, 11, 26, 9, 0)),      # Wed 23:30 UTC = Thu 07:30 China
    (utc(2026, 11, 26, 1, 30), utc(2026, 11, 26, 1, 30)),        # Thu 01:30 UTC = 09:30 China: in
    (utc(2026, 9, 30, 16, 0), china(2026, 10, 8, 9, 0)),         # 30 Sep 16:00 UTC = 1 Oct China
])
def test_whether_staff_are_in_and_when_they_next_are(now, opening):
    assert DAY_HOURS.next_opening(now) == opening
    assert DAY_HOURS.is_open(now) is (opening == now)


def test_an_instant_in_utc_is_read_as_china_time():
    late_evening = utc(2026, 11, 26, 1, 30)   # 09:30 on Thursday in China, 01:30 in UTC
    assert DAY_HOURS.closes_at(late_evening) == china(2026, 11, 26, 17, 0)
    assert DAY_HOURS.next_opening(late_evening).astimezone(CHINA_TZ).date().isoformat() == "2026-11-26"


@pytest.mark.parametrize("now, is_open, opening", [
    (china(2026, 11, 25, 11, 59), True, china(2026, 11, 25, 11, 59)),
    (china(2026, 11, 25, 12, 30), False, china(2026, 11, 25, 13, 30)),   # lunch
    (china(2026, 11, 25, 16, 0), True, china(2026, 11, 25, 16, 0)),
])
def test_split_hours(now, is_open, opening):
    assert SPLIT_HOURS.is_open(now) is is_open and SPLIT_HOURS.next_opening(now) == opening
    assert SPLIT_HOURS.closes_at(now) == (china(2026, 11, 25, 12, 0) if now.hour < 12 else
                                          china(2026, 11, 25, 17, 0) if is_open else None)


def test_an_early_opening_is_open_while_utc_is_still_on_the_day_before(server_zone):
    early = StaffHours(read.time_ranges({}, "CONSOLE_STAFF_HOURS", "07:00-20:00"))
    sunday_evening_utc = utc(2026, 11, 29, 23, 30)  # Monday 07:30 in China
    assert early.is_open(sunday_evening_utc)
    assert early.closes_at(sunday_evening_utc) == china(2026, 11, 30, 20, 0)
    saturday_evening_utc = utc(2026, 10, 9, 23, 30)  # 调休 Saturday 07:30 in China
    assert early.is_open(saturday_evening_utc)
