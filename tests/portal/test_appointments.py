"""Bookings: working-day window, capacity, idempotency, one per person, cancel rules."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from govbot.clock import CHINA_TZ
from portal.workdays import bookable_days

ITEM, HALL = "GA-0003", "SMZX"  # 居民身份证补领 at 市民中心
DAY = "2026-11-26"


def booking(phone: str = "13800001111", day: str = DAY, hour: int = 9, **extra) -> dict:
    return {"item_code": ITEM, "hall_code": HALL, "date": day, "hour": hour, "name": "王小明",
            "phone": phone, "openid": "o_test_openid", **extra}


async def book(portal, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return await portal.post("/api/v1/appointments", json=body, headers=headers)


def test_window_skips_statutory_holidays_and_counts_make_up_days():
    # 2026 Spring Festival: 15-23 Feb off, Saturday 14 Feb and Saturday 28 Feb are 调休 working days.
    days = bookable_days(datetime(2026, 2, 12, 18, tzinfo=CHINA_TZ))
    assert [d.isoformat() for d in days] == [
        "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25", "2026-02-26"]
    assert bookable_days(datetime(2026, 2, 27, 9, tzinfo=CHINA_TZ))[0].isoformat() == "2026-02-28"


async def test_slots_cover_the_next_five_working_days(portal):
    response = await portal.get("/api/v1/slots", params={"item_code": ITEM, "hall_code": HALL})
    assert response.status == 200
    slots = (await response.json())["slots"]
    assert sorted({s["date"] for s in slots}) == [
        "2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01", "2026-12-02"]
    assert {s["hour"] for s in slots} == {9, 10, 11, 13, 14, 15, 16}
    assert all(s["available"] == s["capacity"] > 0 for s in slots)


async def test_booking_returns_number_place_time_and_materials(portal):
    response = await book(portal, booking())
    assert response.status == 201
    data = await response.json()
    assert data["booking_no"].startswith("YY20261126")
    assert data["hall_name"] and data["window"] and data["address"]
    assert data["time"] == "09:00-10:00" and data["materials"]
    assert data["phone"] == "138****1111"


async def test_retry_with_the_same_key_returns_the_first_booking(portal):
    key = uuid.uuid4().hex
    first = await (await book(portal, booking(), key)).json()
    retry = await book(portal, booking(), key)
    assert retry.status == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert (await retry.json())["booking_no"] == first["booking_no"]
    mine = await (await portal.get("/api/v1/appointments", params={"openid": "o_test_openid"})).json()
    assert len(mine["bookings"]) == 1


async def test_same_key_for_another_request_is_refused(portal):
    key = uuid.uuid4().hex
    await book(portal, booking(), key)
    response = await book(portal, booking(hour=10), key)
    assert response.status == 422
    assert (await response.json())["error"] == "idempotency_key_reused"


async def test_one_booking_per_person_item_and_day(portal):
    assert (await book(portal, booking(hour=9))).status == 201
    again = await book(portal, booking(hour=14))
    assert again.status == 409
    assert (await again.json())["error"] == "already_booked"
    assert (await book(portal, booking(hour=14, day="2026-11-27"))).status == 201


async def test_dates_outside_the_window_and_closed_hours_are_refused(portal):
    for body, error in ((booking(day="2026-11-25"), "date_not_bookable"),
                        (booking(day="2026-11-28"), "date_not_bookable"),  # Saturday
                        (booking(day="2026-12-03"), "date_not_bookable"),  # sixth working day
                        (booking(hour=12), "hour_not_open")):
        response = await book(portal, body)
        assert response.status == 422, body
        assert (await response.json())["error"] == error


async def test_full_slot_offers_the_nearest_free_ones(portal):
    slots = (await (await portal.get("/api/v1/slots", params={"item_code": ITEM, "hall_code": HALL})).json())["slots"]
    capacity = next(s["capacity"] for s in slots if s["date"] == DAY and s["hour"] == 10)
    for n in range(capacity):  # different people: one person may not hold many seats (booking limits)
        assert (await book(portal, booking(phone=f"1390000{n:04d}", hour=10, openid=f"o_{n}"))).status == 201
    response = await book(portal, booking(phone="13700009999", hour=10, openid="o_late"))
    assert response.status == 409
    data = await response.json()
    assert data["error"] == "slot_full"
    nearest = [(a["date"], a["hour"]) for a in data["details"]["alternatives"]]
    assert nearest[0] in {(DAY, 9), (DAY, 11)} and len(nearest) == 3


async def test_cancel_frees_the_seat_and_respects_the_two_hour_rule(portal, clock):
    made = await (await book(portal, booking(hour=11))).json()
    url = f"/api/v1/appointments/{made['booking_no']}/cancel"
    assert (await portal.post(url, json={"openid": "someone_else"})).status == 404
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=CHINA_TZ)  # 1.5 h before 11:00
    late = await portal.post(url, json={"openid": "o_test_openid"})
    assert late.status == 409 and (await late.json())["error"] == "too_late_to_cancel"
    clock.now = datetime(2026, 11, 26, 8, 59, tzinfo=CHINA_TZ)
    cancelled = await portal.post(url, json={"phone": "13800001111"})
    assert cancelled.status == 200 and (await cancelled.json())["status"] == "cancelled"
    again = await portal.post(url, json={"phone": "13800001111"})
    assert again.status == 409


async def test_cancelled_seat_can_be_booked_again(portal):
    made = await (await book(portal, booking())).json()
    await portal.post(f"/api/v1/appointments/{made['booking_no']}/cancel", json={"phone": "13800001111"})
    assert (await book(portal, booking())).status == 201


async def test_concurrent_requests_never_overbook_and_retries_never_double_book(portal):
    """60 people race for one slot; each sends its request twice at once with one key."""
    slots = (await (await portal.get("/api/v1/slots", params={"item_code": ITEM, "hall_code": HALL})).json())["slots"]
    capacity = next(s["capacity"] for s in slots if s["date"] == DAY and s["hour"] == 15)
    people = [(f"1350000{n:04d}", uuid.uuid4().hex) for n in range(60)]
    requests = [book(portal, booking(phone=phone, hour=15, openid=f"o_{phone}"), key)
                for phone, key in people for _ in range(2)]
    responses = await asyncio.wait_for(asyncio.gather(*requests), timeout=120)
    statuses = [r.status for r in responses]
    assert 500 not in statuses
    bodies = [await r.json() for r in responses]
    numbers = {b["booking_no"] for b in bodies if "booking_no" in b}
    assert len(numbers) == capacity
    slots = (await (await portal.get("/api/v1/slots", params={"item_code": ITEM, "hall_code": HALL})).json())["slots"]
    assert next(s for s in slots if s["date"] == DAY and s["hour"] == 15)["available"] == 0
    for phone, _key in people:  # nobody holds two bookings
        mine = await (await portal.get("/api/v1/appointments", params={"openid": f"o_{phone}"})).json()
        assert len(mine["bookings"]) <= 1


async def test_guide_detail_lists_halls_and_bookability(portal):
    detail = await (await portal.get("/api/v1/guides/GA-0003")).json()
    assert detail["bookable"] is True and detail["halls"][0]["hours_note"]




async def test_booking_and_day_before_reminder_are_posted_to_the_webhook_once(webhook_portal, clock):
    portal, received = webhook_portal
    await book(portal, booking(day="2026-11-27", channel="wechat"))
    booked = await asyncio.wait_for(received.get(), timeout=10)
    assert booked["event"] == "appointment.booked" and booked["openid"] == "o_test_openid"
    assert booked["channel"] == "wechat"  # notifications go back only through the citizen's channel
    assert booked["item_name"] == "居民身份证补领" and booked["phone"] == "138****1111"
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=CHINA_TZ)  # the day before
    reminder = await asyncio.wait_for(received.get(), timeout=10)
    assert reminder["event"] == "appointment.reminder" and reminder["booking_no"] == booked["booking_no"]
    assert reminder["channel"] == "wechat"
    await asyncio.sleep(0.3)  # several more rounds: no second reminder
    assert received.empty()
