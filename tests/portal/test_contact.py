"""Minimal disclosure of a citizen's contact (PIPL): the bot gets a masked name and phone and a
handle bound to the openid; a booking carries the handle, so the full phone never goes back."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

ITEM, HALL, DAY = "GA-0003", "SMZX", "2026-11-26"
CONTACT = "/api/v1/appointments/contact"


def booking(**fields) -> dict:
    return {"item_code": ITEM, "hall_code": HALL, "date": DAY, "hour": 9, "openid": "o_wang", **fields}


async def book(portal, body: dict):
    return await portal.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


async def offer(portal, openid: str = "o_wang") -> dict:
    response = await portal.get(CONTACT, params={"openid": openid})
    assert response.status == 200
    return await response.json()


async def test_the_contact_is_masked_and_comes_with_a_handle(portal):
    assert (await book(portal, booking(name="王小明", phone="13812345678"))).status == 201
    response = await portal.get(CONTACT, params={"openid": "o_wang"})
    body = await response.text()
    contact = json.loads(body)
    assert contact["name"] == "王*明" and contact["phone"] == "138****5678"
    assert len(contact["handle"]) >= 16
    assert "13812345678" not in body and "王小明" not in body


async def test_only_the_bots_key_gets_a_contact(portal, anonymous, admin):
    await book(portal, booking(name="王小明", phone="13812345678"))
    assert (await anonymous.get(CONTACT, params={"openid": "o_wang"})).status == 401
    assert (await admin.get(CONTACT, params={"openid": "o_wang"})).status == 403


async def test_a_booking_by_handle_uses_the_stored_contact(portal):
    await book(portal, booking(name="王小明", phone="13812345678"))
    handle = (await offer(portal))["handle"]
    response = await book(portal, booking(date="2026-11-27", contact_handle=handle))
    assert response.status == 201, await response.text()
    made = await response.json()
    assert made["phone"] == "138****5678" and made["name"] == "王*明"
    cancelled = await portal.post(f"/api/v1/appointments/{made['booking_no']}/cancel", json={"phone": "13812345678"})
    assert cancelled.status == 200  # the full phone was stored from the earlier booking


async def test_a_handle_is_bound_to_its_openid_and_expires(portal, clock):
    await book(portal, booking(name="王小明", phone="13812345678"))
    handle = (await offer(portal))["handle"]
    stolen = await book(portal, booking(date="2026-11-27", contact_handle=handle, openid="o_thief"))
    assert stolen.status == 422 and (await stolen.json())["error"] == "contact_handle_invalid"
    assert "13812345678" not in await stolen.text()
    clock.now += timedelta(hours=3)
    expired = await book(portal, booking(date="2026-11-27", contact_handle=handle))
    assert expired.status == 422 and "重新提供" in (await expired.json())["message"]


async def test_a_booking_names_the_person_once(portal):
    for body in (booking(name="王小明"), booking(phone="13812345678"), booking(),
                 booking(name="王小明", phone="13812345678", contact_handle="x" * 20),
                 {**booking(contact_handle="x" * 20), "openid": None}):
        assert (await book(portal, body)).status == 422, body
    unknown = await book(portal, booking(contact_handle="x" * 20))
    assert unknown.status == 422 and (await unknown.json())["error"] == "contact_handle_invalid"


async def test_no_openid_and_no_full_phone_in_what_the_bot_key_lists(portal):
    made = await (await book(portal, booking(name="王小明", phone="13812345678"))).json()
    listed = await (await portal.get("/api/v1/appointments", params={"openid": "o_wang"})).text()
    for body in (json.dumps(made, ensure_ascii=False), listed):
        assert "o_wang" not in body and "13812345678" not in body and "王小明" not in body
