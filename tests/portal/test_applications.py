"""Application status: verification first, identical answers, rate limits, webhook.

Rate limits: the caller is the bot's key plus the openid it names (no client-chosen field);
failures count per (application, caller), per caller and per application, atomically; the
bound owner is never locked out; an openid-only lookup is not a failed verification.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import pytest
from aiohttp import web

from portal.settings import Limit, StatusLimits
from tests.portal.conftest import ADMIN

REVIEWING = "SQ20261118000123"  # 张伟, phone ends 5678, 审核中
CORRECTION = "SQ20261110000456"  # 李娜, phone ends 4321, 补正


def query(openid: str = "o_caller", **verification) -> dict:
    return {"openid": openid, **verification}


async def ask(portal, application_id: str, body: dict):
    return await portal.post(f"/api/v1/applications/{application_id}/query", json=body)


async def test_verified_applicant_sees_current_step_and_next(portal):
    response = await ask(portal, REVIEWING, query(phone_last4="5678"))
    assert response.status == 200
    data = await response.json()
    assert data["status"] == "审核中" and data["item_name"] == "企业设立登记"
    assert data["current"]["department"] and data["current"]["at"]
    assert data["next_step"] and [s["status"] for s in data["timeline"]] == ["已提交", "已受理", "审核中"]
    assert data["applicant"] == "张*"


async def test_correction_step_says_why_and_what_to_bring(portal):
    data = await (await ask(portal, CORRECTION, query(phone_last4="4321"))).json()
    assert data["status"] == "补正"
    assert data["current"]["correction"]["reason"]
    assert len(data["current"]["correction"]["materials"]) >= 1


async def test_unknown_number_and_wrong_verification_answer_identically(portal):
    wrong = await ask(portal, REVIEWING, query(phone_last4="0000"))
    unknown = await ask(portal, "SQ20261118999999", query(phone_last4="5678"))
    assert wrong.status == unknown.status == 404
    assert await wrong.json() == await unknown.json()


async def test_phone_verification_binds_openid_for_next_time(portal):
    assert (await ask(portal, REVIEWING, {"openid": "o_zhangwei"})).status == 404
    assert (await ask(portal, REVIEWING, query(phone_last4="5678", openid="o_zhangwei"))).status == 200
    assert (await ask(portal, REVIEWING, {"openid": "o_zhangwei"})).status == 200
    assert (await ask(portal, REVIEWING, {"openid": "o_stranger"})).status == 404


async def test_failed_attempts_are_limited_per_caller(portal):
    for digits in ("0001", "0002", "0003", "0004", "0005"):
        assert (await ask(portal, REVIEWING, query("o_guesser", phone_last4=digits))).status == 404
    blocked = await ask(portal, REVIEWING, query("o_guesser", phone_last4="5678"))
    assert blocked.status == 429
    assert (await ask(portal, REVIEWING, query("o_owner", phone_last4="5678"))).status == 200


async def test_failed_attempts_are_limited_per_application(portal):
    for n in range(10):
        await ask(portal, CORRECTION, query(f"o_bot_{n}", phone_last4="0000"))
    blocked = await ask(portal, CORRECTION, query("o_fresh", phone_last4="4321"))
    assert blocked.status == 429


async def test_status_change_is_posted_to_the_webhook(make_portal, aiohttp_server):
    received: asyncio.Queue = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await received.put((await request.read(), request.headers.get("X-Portal-Signature"),
                            request.headers.get("X-Portal-Timestamp")))
        return web.Response(text="ok")

    hook = web.Application()
    hook.router.add_post("/hook", receive)
    server = await aiohttp_server(hook)
    portal = await make_portal(webhook_url=str(server.make_url("/hook")), webhook_secret="s3cret")
    await ask(portal, REVIEWING, query(phone_last4="5678", openid="o_zhangwei", channel="wechat"))
    response = await portal.post(f"/api/v1/applications/{REVIEWING}/events", headers=ADMIN, json={
        "status": "补正", "department": "市场监督管理局",
        "correction": {"reason": "经营范围表述不规范", "materials": ["修改后的公司章程"]}})
    assert response.status == 200
    body, signature, stamp = await asyncio.wait_for(received.get(), timeout=10)
    event = json.loads(body)
    assert event["event"] == "application.status_changed" and event["status"] == "补正"
    assert event["openid"] == "o_zhangwei" and event["channel"] == "wechat"  # bound with the openid
    assert abs(int(stamp) - time.time()) < 60  # bound to the time it was sent: not replayable later
    assert signature == hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def test_correction_without_reason_is_refused(portal):
    response = await portal.post(f"/api/v1/applications/{REVIEWING}/events", headers=ADMIN,
                                 json={"status": "补正", "department": "市场监督管理局"})
    assert response.status == 422


# --- issue 9: who the caller is, and limits that protect the owner --------------------

async def test_a_client_chosen_caller_field_is_refused_and_grants_no_guesses(portal):
    """Rotating ``caller`` used to give every request a fresh allowance."""
    rotated = await ask(portal, REVIEWING, {"caller": "o_rotated_1", "phone_last4": "0001"})
    assert rotated.status == 422
    statuses = [(await ask(portal, f"SQ2026111800{n:04d}", query("o_one_guesser", phone_last4="0000"))).status
                for n in range(14)]  # across applications: the per-caller limit (10 an hour) holds
    assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}


async def test_status_query_needs_the_bots_key(portal, anonymous, admin):
    assert (await ask(anonymous, REVIEWING, query(phone_last4="5678"))).status == 401
    assert (await ask(admin, REVIEWING, query(phone_last4="5678"))).status == 403


async def test_failures_count_per_application_and_caller(portal):
    for digits in ("0001", "0002", "0003", "0004", "0005"):
        assert (await ask(portal, REVIEWING, query("o_a", phone_last4=digits))).status == 404
    assert (await ask(portal, REVIEWING, query("o_a", phone_last4="0006"))).status == 429
    assert (await ask(portal, CORRECTION, query("o_a", phone_last4="4321"))).status == 200  # another application
    assert (await ask(portal, REVIEWING, query("o_b", phone_last4="0007"))).status == 404  # another caller


async def test_others_failures_never_lock_out_the_owner_who_verified_before(portal):
    assert (await ask(portal, REVIEWING, query("o_zhangwei", phone_last4="5678"))).status == 200  # binds
    for n in range(12):
        await ask(portal, REVIEWING, query(f"o_attacker_{n}", phone_last4=f"{n:04d}"))
    assert (await ask(portal, REVIEWING, query("o_stranger", phone_last4="5678"))).status == 429
    assert (await ask(portal, REVIEWING, {"openid": "o_zhangwei"})).status == 200
    assert (await ask(portal, REVIEWING, query("o_zhangwei", phone_last4="5678"))).status == 200


async def test_a_lookup_by_openid_alone_is_not_a_failed_verification(portal):
    """The bot first tries the openid (actions/status.py); that must not eat the citizen's attempts."""
    for _ in range(12):
        assert (await ask(portal, REVIEWING, {"openid": "o_new_citizen"})).status == 404
    assert (await ask(portal, REVIEWING, query("o_new_citizen", phone_last4="5678"))).status == 200


async def test_a_correct_answer_does_not_use_up_the_allowance(make_portal):
    portal = await make_portal(status_limits=StatusLimits(per_caller_application=Limit(2, 900)))
    for _ in range(5):  # no openid: nothing gets bound, every answer is checked and counted
        assert (await ask(portal, REVIEWING, {"phone_last4": "5678"})).status == 200
    assert (await ask(portal, REVIEWING, {"phone_last4": "0000"})).status == 404


async def test_the_limit_window_passes(portal, clock):
    from datetime import timedelta

    for digits in ("0001", "0002", "0003", "0004", "0005"):
        await ask(portal, REVIEWING, query("o_patient", phone_last4=digits))
    blocked = await ask(portal, REVIEWING, query("o_patient", phone_last4="5678"))
    assert blocked.status == 429 and "15分钟后再试" in (await blocked.json())["message"]
    clock.now += timedelta(minutes=16)
    assert (await ask(portal, REVIEWING, query("o_patient", phone_last4="5678"))).status == 200


@pytest.mark.parametrize("rotate_openid, limit", [(True, 10), (False, 5)])
async def test_a_burst_of_wrong_guesses_gets_at_most_the_limit_evaluated(portal, rotate_openid, limit):
    """100 concurrent wrong guesses: check and count are one atomic step on both databases."""
    requests = [ask(portal, CORRECTION, query(f"o_burst_{n}" if rotate_openid else "o_burst", phone_last4=f"{n:04d}"))
                for n in range(100) if f"{n:04d}" != "4321"]
    responses = await asyncio.wait_for(asyncio.gather(*requests), timeout=120)
    statuses = [r.status for r in responses]
    assert statuses.count(404) == limit and statuses.count(429) == len(statuses) - limit, statuses


async def test_the_whole_phone_verifies_only_when_it_matches_whole(portal):
    assert (await ask(portal, REVIEWING, query("o_whole", phone="13812345678"))).status == 200
    same_tail = await ask(portal, REVIEWING, query("o_other", phone="13900005678"))  # right last four, wrong phone
    assert same_tail.status == 404
    assert (await ask(portal, REVIEWING, query("o_bad", phone="1381234567"))).status == 422


# --- tries left, and bookings made elsewhere (number + phone; the same guess budget) ---------

WEB_PHONE = "13700002222"


async def test_a_wrong_verification_says_how_many_tries_are_left(portal):
    first = await (await ask(portal, REVIEWING, query(phone_last4="0000"))).json()
    second = await (await ask(portal, REVIEWING, query(phone_last4="1111"))).json()
    assert (first["details"]["attempts_left"], second["details"]["attempts_left"]) == (4, 3)


async def web_booking(portal) -> str:
    """A booking made on the web: no openid."""
    slots = (await (await portal.get("/api/v1/slots", params={"item_code": "GA-0003", "hall_code": "SMZX"})).json())
    free = next(s for s in slots["slots"] if s["available"])
    response = await portal.post("/api/v1/appointments", headers={"Idempotency-Key": "web-booking-0001"}, json={
        "item_code": "GA-0003", "hall_code": "SMZX", "date": free["date"], "hour": free["hour"],
        "name": "赵六", "phone": WEB_PHONE})
    assert response.status == 201
    return (await response.json())["booking_no"]


async def lookup(portal, booking_no: str, phone: str, openid: str = "o_caller"):
    return await portal.post(f"/api/v1/appointments/{booking_no}/lookup", json={"openid": openid, "phone": phone})


async def test_a_booking_made_elsewhere_is_found_by_number_and_phone_both_matching(portal):
    number = await web_booking(portal)
    found = await lookup(portal, number, WEB_PHONE)
    assert found.status == 200 and (await found.json())["booking_no"] == number
    wrong_phone = await lookup(portal, number, "13900009999")
    unknown = await lookup(portal, "YY2026010100000000", WEB_PHONE)
    assert wrong_phone.status == unknown.status == 404
    assert await wrong_phone.json() == await unknown.json()
    assert (await wrong_phone.json())["details"]["attempts_left"] == 4
    assert "13700002222" not in await wrong_phone.text()


async def test_booking_lookups_and_status_verifications_share_the_callers_budget(portal):
    number = await web_booking(portal)
    for n in range(5):
        assert (await ask(portal, f"SQ2026111800{n:04d}", query(phone_last4="0000"))).status == 404
    for n in range(5):
        assert (await lookup(portal, f"YY20260101{n:08d}", WEB_PHONE)).status == 404
    limited = await lookup(portal, number, WEB_PHONE)
    assert limited.status == 429  # even the right pair: the caller's 10 guesses an hour are spent
    assert (await lookup(portal, number, WEB_PHONE, openid="o_other")).status == 200


async def test_a_right_lookup_is_not_counted(make_portal):
    portal = await make_portal(status_limits=StatusLimits(per_caller_application=Limit(1, 900)))
    number = await web_booking(portal)
    for _ in range(3):
        assert (await lookup(portal, number, WEB_PHONE)).status == 200


async def test_a_booking_lookup_needs_the_bots_key_and_a_phone(portal, anonymous):
    number = await web_booking(portal)
    assert (await anonymous.post(f"/api/v1/appointments/{number}/lookup",
                                 json={"openid": "o", "phone": WEB_PHONE})).status == 401
    assert (await portal.post(f"/api/v1/appointments/{number}/lookup", json={"openid": "o"})).status == 422


async def cancel(portal, booking_no: str, phone: str, openid: str = "o_caller"):
    return await portal.post(f"/api/v1/appointments/{booking_no}/cancel", json={"openid": openid, "phone": phone})


async def test_cancelling_by_phone_counts_wrong_pairs_in_the_lookup_budget(portal):
    """The cancel route answers a wrong phone like the lookup route and spends the same guesses."""
    number = await web_booking(portal)
    wrong = await cancel(portal, number, "13900009999")
    assert wrong.status == 404 and (await wrong.json())["details"]["attempts_left"] == 4
    for n in range(9):
        await cancel(portal, f"YY20260101{n:08d}", WEB_PHONE)
    assert (await cancel(portal, number, WEB_PHONE)).status == 429  # the caller's guesses are spent
    assert (await cancel(portal, number, WEB_PHONE, openid="o_other")).status == 200


async def test_the_openid_that_booked_cancels_without_spending_a_guess(make_portal):
    portal = await make_portal(status_limits=StatusLimits(per_caller_application=Limit(1, 900)))
    free = (await (await portal.get("/api/v1/slots", params={"item_code": "GA-0003", "hall_code": "SMZX"})).json())
    slot = next(s for s in free["slots"] if s["available"])
    booked = await portal.post("/api/v1/appointments", headers={"Idempotency-Key": "wechat-booking-0001"}, json={
        "item_code": "GA-0003", "hall_code": "SMZX", "date": slot["date"], "hour": slot["hour"],
        "name": "赵六", "phone": WEB_PHONE, "openid": "o_owner"})
    number = (await booked.json())["booking_no"]
    assert (await cancel(portal, number, "13900009999", openid="o_owner")).status == 200
