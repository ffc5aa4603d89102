"""The portal's time rules follow China's calendar and wall clock whatever the server's zone:
the booking window late at night, on a holiday eve and around a 调休 working day, the 2-hour
cancel rule in the early morning, and the day-before reminder just after midnight."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from govbot.clock import CHINA_TZ
from tests.portal.test_appointments import HALL, ITEM, book, booking

NATIONAL_DAY_WINDOW = ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"]  # 10-10: 调休 Saturday


async def window(portal) -> list:
    slots = (await (await portal.get("/api/v1/slots", params={"item_code": ITEM, "hall_code": HALL})).json())["slots"]
    return sorted({s["date"] for s in slots})


@pytest.mark.parametrize("now", [
    datetime(2026, 9, 30, 23, 30, tzinfo=CHINA_TZ),                 # the eve of the National Day holiday
    datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc),             # 00:30 on 1 October in China
    datetime(2026, 10, 7, 8, 0, tzinfo=CHINA_TZ),                   # the holiday's last morning
])
async def test_the_window_opens_after_the_holiday_and_counts_the_make_up_saturday(server_zone, make_portal, clock, now):
    clock.now = now
    assert await window(await make_portal()) == NATIONAL_DAY_WINDOW


async def test_late_on_the_friday_before_a_make_up_saturday_it_is_tomorrow(server_zone, make_portal, clock):
    clock.now = datetime(2026, 10, 9, 23, 30, tzinfo=CHINA_TZ)
    assert (await window(await make_portal()))[0] == "2026-10-10"


async def test_just_after_midnight_tomorrow_is_china_s_tomorrow(server_zone, make_portal, clock):
    clock.now = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)  # Thu 26 Nov 00:30 in China
    assert (await window(await make_portal()))[0] == "2026-11-27"


async def test_the_two_hour_cancel_rule_reads_china_s_clock_early_in_the_morning(server_zone, make_portal, clock):
    portal = await make_portal()
    made = await (await book(portal, booking(day="2026-11-27", hour=9))).json()
    url = f"/api/v1/appointments/{made['booking_no']}/cancel"
    clock.now = datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc)  # 07:30 on the 27th in China: 1.5 h before
    late = await portal.post(url, json={"openid": "o_test_openid"})
    assert late.status == 409 and (await late.json())["error"] == "too_late_to_cancel"
    clock.now = datetime(2026, 11, 26, 22, 59, tzinfo=timezone.utc)  # 06:59 in China: just over 2 h before
    assert (await portal.post(url, json={"openid": "o_test_openid"})).status == 200


async def test_the_reminder_just_after_midnight_is_for_china_s_tomorrow(server_zone, webhook_portal, clock):
    portal, received = webhook_portal
    await book(portal, booking(day="2026-11-27", openid="o_early"))
    await book(portal, booking(day="2026-11-30", phone="13800002222", openid="o_later"))
    assert (await asyncio.wait_for(received.get(), timeout=10))["event"] == "appointment.booked"
    assert (await asyncio.wait_for(received.get(), timeout=10))["event"] == "appointment.booked"
    clock.now = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 26th in China
    reminder = await asyncio.wait_for(received.get(), timeout=10)
    assert reminder["event"] == "appointment.reminder" and reminder["openid"] == "o_early"
    await asyncio.sleep(0.3)
    assert received.empty()  # the Monday booking is not reminded on Thursday night
