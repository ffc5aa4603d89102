"""Application status: verification first, identical answers, rate limits, webhook."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from aiohttp import web

REVIEWING = "SQ20261118000123"  # 张伟, phone ends 5678, 审核中
CORRECTION = "SQ20261110000456"  # 李娜, phone ends 4321, 补正


def query(caller: str = "o_caller", **verification) -> dict:
    return {"caller": caller, **verification}


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
    assert (await ask(portal, REVIEWING, query(openid="o_zhangwei"))).status == 404
    assert (await ask(portal, REVIEWING, query(phone_last4="5678", openid="o_zhangwei"))).status == 200
    assert (await ask(portal, REVIEWING, query(openid="o_zhangwei"))).status == 200
    assert (await ask(portal, REVIEWING, query(openid="o_stranger"))).status == 404


async def test_failed_attempts_are_limited_per_caller(portal):
    for digits in ("0001", "0002", "0003", "0004", "0005"):
        assert (await ask(portal, REVIEWING, query(caller="o_guesser", phone_last4=digits))).status == 404
    blocked = await ask(portal, REVIEWING, query(caller="o_guesser", phone_last4="5678"))
    assert blocked.status == 429
    assert (await ask(portal, REVIEWING, query(caller="o_owner", phone_last4="5678"))).status == 200


async def test_failed_attempts_are_limited_per_application(portal):
    for n in range(10):
        await ask(portal, CORRECTION, query(caller=f"o_bot_{n}", phone_last4="0000"))
    blocked = await ask(portal, CORRECTION, query(caller="o_fresh", phone_last4="4321"))
    assert blocked.status == 429


async def test_status_change_is_posted_to_the_webhook(make_portal, aiohttp_server):
    received: asyncio.Queue = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await received.put((await request.read(), request.headers.get("X-Portal-Signature")))
        return web.Response(text="ok")

    hook = web.Application()
    hook.router.add_post("/hook", receive)
    server = await aiohttp_server(hook)
    portal = await make_portal(webhook_url=str(server.make_url("/hook")), webhook_secret="s3cret")
    await ask(portal, REVIEWING, query(phone_last4="5678", openid="o_zhangwei"))
    response = await portal.post(f"/api/v1/applications/{REVIEWING}/events", json={
        "status": "补正", "department": "市场监督管理局",
        "correction": {"reason": "经营范围表述不规范", "materials": ["修改后的公司章程"]}})
    assert response.status == 200
    body, signature = await asyncio.wait_for(received.get(), timeout=10)
    event = json.loads(body)
    assert event["event"] == "application.status_changed" and event["status"] == "补正"
    assert event["openid"] == "o_zhangwei"
    assert signature == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


async def test_correction_without_reason_is_refused(portal):
    response = await portal.post(f"/api/v1/applications/{REVIEWING}/events",
                                 json={"status": "补正", "department": "市场监督管理局"})
    assert response.status == 422
