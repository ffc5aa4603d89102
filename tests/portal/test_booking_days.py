"""Why a day cannot be booked (GET /api/v1/booking-days/{date}) and the holiday calendar's fallback."""
from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from govbot import workdays as calendar
from govbot.clock import CHINA_TZ
from portal import tables, workdays
from portal.keys import APPOINTMENTS

ITEM = "GA-0003"


async def day(portal, iso: str) -> dict:
    response = await portal.get(f"/api/v1/booking-days/{iso}", params={"item": ITEM})
    assert response.status == 200
    return await response.json()


@pytest.mark.parametrize("iso, reason", [
    ("2026-11-26", None),             # tomorrow, a Thursday in the window (clock: Wed 25 Nov 10:00)
    ("2026-11-28", "weekend"),        # Saturday
    ("2026-12-03", "outside_window"),  # a Thursday after the 5 working days
    ("2026-11-25", "outside_window"),  # today: the window starts tomorrow
])
async def test_reason_of_a_day(portal, iso, reason):
    answer = await day(portal, iso)
    assert answer["reason"] == reason and answer["bookable"] is (reason is None)
    assert bool(answer["free"]) is (reason is None)


async def test_a_holiday_is_named(portal, clock):
    clock.now = datetime(2026, 9, 28, 0, 30, tzinfo=CHINA_TZ)  # 00:30 China time, before 国庆
    answer = await day(portal, "2026-10-02")
    assert answer == {"date": "2026-10-02", "bookable": False, "reason": "holiday", "holiday": "国庆节", "free": []}


async def test_a_full_day_says_full(portal):
    appointments = portal.server.app[APPOINTMENTS]
    slots = [s for s in await appointments.slots(ITEM) if s.day == date(2026, 11, 26)]
    async with appointments._engine.begin() as conn:  # every seat of the day taken
        await conn.execute(tables.slot_usage.insert(), [
            {"item_code": ITEM, "hall_code": s.hall_code, "day": "2026-11-26", "hour": s.hour, "booked": s.capacity}
            for s in slots])
    answer = await day(portal, "2026-11-26")
    assert answer["reason"] == "full" and answer["free"] == [] and answer["holiday"] is None


async def test_bad_date_is_refused(portal):
    response = await portal.get("/api/v1/booking-days/2026-13-45", params={"item": ITEM})
    assert response.status == 400


def test_year_without_calendar_uses_fixed_holidays_and_weekends(caplog, monkeypatch):
    monkeypatch.setattr(calendar, "_warned_years", set())
    with caplog.at_level(logging.WARNING, logger="govbot.workdays"):
        assert not workdays.is_working_day(date(2027, 10, 1))   # 国庆节, a Friday
        assert not workdays.is_working_day(date(2027, 5, 1))    # 劳动节
        assert not workdays.is_working_day(date(2027, 1, 2))    # Saturday
        assert workdays.is_working_day(date(2027, 1, 4))        # Monday
        assert workdays.holiday_name(date(2027, 10, 2)) == "国庆节"
        assert workdays.closed_reason(date(2027, 1, 1), datetime(2026, 12, 30, 0, 30)) == "holiday"
    assert sum("2027" in r.getMessage() for r in caplog.records) == 1  # said once, not per day


def test_window_crosses_into_a_year_without_calendar():
    days = workdays.bookable_days(datetime(2026, 12, 30, 0, 30))
    assert date(2027, 1, 1) not in days and len(days) == 5 and all(d.weekday() < 5 for d in days)
