"""The protocol edge (issue 9): XML shapes, addressing, oversize text, and the nonce cache.

Against the real channel app on loopback with the wechatpy-built peer, in plaintext and safe
mode; each refusal is checked to change nothing (no assistant turn).
"""
from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from connectors.wechat.inbound import TOO_LONG
from connectors.wechat.replay import ReplayedRequestError, ReplayGuard
from connectors.wechat.signing import signature_of
from connectors.wechat.storage import Storage
from connectors.wechat.testing.fake_api import DEMO_ACCOUNT
from tests.connectors.conftest import REDIS_URL, new_openid

MODES = [pytest.param(False, id="plaintext"), pytest.param(True, id="safe")]


def _push(openid: str, *fields: str, to: str = DEMO_ACCOUNT, create_time: str = "1764000000") -> str:
    return (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime>" + "".join(fields) + "</xml>")


TEXT = "<MsgType><![CDATA[text]]></MsgType><MsgId>24601</MsgId>"
VOICE = "<MsgType><![CDATA[voice]]></MsgType><MsgId>24602</MsgId><MediaId>m</MediaId>"
CLICK = "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"

# (fields after CreateTime, or a whole document for CreateTime cases) -> refused with 400
MALFORMED = {
    "nested Content": TEXT + "<Content><a>你好</a></Content>",
    "repeated Content": TEXT + "<Content>你好</Content><Content>再见</Content>",
    "nested Recognition": VOICE + "<Recognition><b>预约</b><b>护照</b></Recognition>",
    "repeated Recognition": VOICE + "<Recognition>一</Recognition><Recognition>二</Recognition>",
    "nested MsgType": "<MsgType><t>text</t></MsgType><MsgId>24603</MsgId><Content>x</Content>",
    "repeated MsgId": TEXT + "<MsgId>24604</MsgId><Content>x</Content>",
    "nested EventKey": CLICK + "<EventKey><k>BOOK</k></EventKey>",
    "repeated Event": CLICK + "<Event>VIEW</Event><EventKey>BOOK</EventKey>",
    "repeated FromUserName": "<FromUserName>o2</FromUserName>" + TEXT + "<Content>x</Content>",
}


@pytest.mark.parametrize("aes", MODES)
@pytest.mark.parametrize("case", list(MALFORMED))
async def test_nested_or_repeated_fields_get_400(start_server, aes, case):
    harness = await start_server(aes=aes)
    peer = harness.peer
    status, _ = await peer.post_raw(*peer.signed(_push(new_openid(), MALFORMED[case])))
    assert status == 400
    assert harness.agent.turns == []


@pytest.mark.parametrize("create_time", ["²", "１７６４００００００", "9" * 5000, "-1764000000", ""])
async def test_odd_create_time_gets_400(start_server, create_time):
    harness = await start_server()
    peer = harness.peer
    xml = _push(new_openid(), TEXT, "<Content>x</Content>", create_time=create_time)
    assert (await peer.post_raw(*peer.signed(xml)))[0] == 400


async def test_structured_event_fields_may_stay_nested(start_server):
    harness = await start_server()
    peer = harness.peer
    xml = _push(new_openid(), "<MsgType>event</MsgType><Event>scancode_waitmsg</Event><EventKey>SCAN1</EventKey>",
                "<ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>x</ScanResult></ScanCodeInfo>")
    status, body = await peer.post_raw(*peer.signed(xml))
    assert status == 200 and body == "success"


# ------------------------------------------------------------ ToUserName


@pytest.mark.parametrize("aes", MODES)
async def test_an_empty_to_user_name_is_refused(start_server, aes):
    harness = await start_server(aes=aes, account_id=None)
    harness.peer.account = ""
    delivery = await harness.peer.push(harness.peer.text(new_openid(), "你好"), tries=1)
    assert delivery.status == 400 and harness.agent.turns == []


@pytest.mark.parametrize("aes", MODES)
async def test_another_account_is_refused_when_the_account_id_is_configured(start_server, aes):
    harness = await start_server(aes=aes)  # account_id=DEMO_ACCOUNT (conftest)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "本号"))).reply == "你说：本号"
    peer.account = "gh_someoneelse01"
    assert (await peer.push(peer.text(openid, "别的号"), tries=1)).status == 403
    assert harness.agent.turns == [(openid, "本号")]


async def test_any_account_is_accepted_when_none_is_configured(start_server):
    harness = await start_server(account_id=None)
    harness.peer.account = "gh_someoneelse01"
    assert (await harness.peer.push(harness.peer.text(new_openid(), "你好"))).reply == "你说：你好"


# ------------------------------------------------------------ oversize Content


@pytest.mark.parametrize("aes", MODES)
async def test_oversize_content_is_answered_briefly_without_a_turn(start_server, aes):
    harness = await start_server(aes=aes)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "办" * 2001))).reply == TOO_LONG
    assert (await peer.push(peer.voice(openid, "办" * 2001))).reply == TOO_LONG
    assert harness.agent.turns == []
    assert (await peer.push(peer.text(openid, "办" * 2000))).status == 200  # answered in parts (2,048-byte messages)
    assert harness.agent.turns == [(openid, "办" * 2000)]


async def test_the_content_limit_is_a_setting(start_server):
    harness = await start_server(max_content_chars=10)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "一二三四五六七八九十"))).reply == "你说：一二三四五六七八九十"
    assert (await peer.push(peer.text(openid, "一二三四五六七八九十壹"))).reply == TOO_LONG


@pytest.mark.parametrize("aes", MODES)
async def test_the_body_limit_comes_before_any_parsing_or_decryption(start_server, aes):
    harness = await start_server(aes=aes, max_body_bytes=4096)
    peer, openid = harness.peer, new_openid()
    query, body = peer.signed(peer.text(openid, "x" * 5000))  # well-formed (and encrypted) but too big
    assert (await peer.post_raw(query, body))[0] == 413
    query, _ = peer.signed(peer.text(openid, "x"))
    assert (await peer.post_raw(query, b"<not xml" * 1000))[0] == 413  # parsed first, it would be 400
    assert harness.agent.turns == []


# ------------------------------------------------------------ the nonce cache


async def test_a_reused_query_cannot_carry_a_new_body(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    query, body = peer.signed(peer.text(openid, "查进度"))
    assert (await peer.post_raw(query, body))[0] == 200
    forged = peer.text(openid, "取消我的预约").encode()
    assert (await peer.post_raw(query, forged))[0] == 403
    assert (await peer.post_raw({**query, "signature": query["signature"].upper()}, forged))[0] == 403
    assert harness.agent.turns == [(openid, "查进度")]


@pytest.mark.parametrize("aes", MODES)
async def test_a_wechat_retry_with_the_same_query_gets_the_same_answer(start_server, aes):
    harness = await start_server(aes=aes)
    peer, openid = harness.peer, new_openid()
    query, body = peer.signed(peer.text(openid, "slow 1 一次"))

    async def retry_after(delay: float):
        await asyncio.sleep(delay)
        return await peer.post_raw(query, body)

    answers = await asyncio.gather(retry_after(0), retry_after(0.3), retry_after(1.5))
    assert [status for status, _ in answers] == [200, 200, 200]
    assert {peer.read_reply(text) for _, text in answers} == {"慢慢答：一次"}
    assert harness.agent.turns == [(openid, "slow 1 一次")]


async def test_safe_mode_refuses_the_same_query_around_another_envelope(start_server):
    harness = await start_server(aes=True)
    peer = harness.peer
    query, body = peer.signed(peer.text(new_openid(), "你好"))
    assert (await peer.post_raw(query, body))[0] == 200
    rewrapped = body.replace(b"<ToUserName>", b"<Note>x</Note><ToUserName>")  # msg_signature still holds
    assert (await peer.post_raw(query, rewrapped))[0] == 403


async def test_compatible_mode_refuses_a_safe_query_reused_for_a_plaintext_body(start_server):
    harness = await start_server(aes=True, encrypt_mode="compatible")
    peer, openid = harness.peer, new_openid()
    query, body = peer.signed(peer.text(openid, "你好"))
    assert (await peer.post_raw(query, body))[0] == 200
    plain = {name: query[name] for name in ("signature", "timestamp", "nonce")}
    assert (await peer.post_raw(plain, peer.text(openid, "新的一条").encode()))[0] == 403
    assert harness.agent.turns == [(openid, "你好")]


async def test_the_nonce_cache_is_shared_in_redis(start_server, redis_prefix):
    a = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix)
    b = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix)
    openid = new_openid()
    query, body = a.peer.signed(a.peer.text(openid, "第一条"))
    assert (await a.peer.post_raw(query, body))[0] == 200
    assert (await b.peer.post_raw(query, b.peer.text(openid, "换了内容").encode()))[0] == 403
    client = aioredis.from_url(REDIS_URL)
    ttl = await client.pttl(f"{redis_prefix}nonce:{query['signature']}")
    await client.close()
    assert 0 < ttl <= (a.channel.settings.timestamp_window + 2) * 1000  # gone when the window closes
    assert a.agent.turns + b.agent.turns == [(openid, "第一条")]


async def test_a_nonce_record_lives_exactly_as_long_as_its_timestamp_is_acceptable(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])  # fakeredis expires keys on this clock
    guard = ReplayGuard(Storage.in_process(), window=300, now=lambda: now[0])
    query = {"timestamp": "1000", "nonce": "42", "signature": signature_of("t", "1000", "42")}
    await guard.check(query, b"<xml>a</xml>")
    await guard.check(query, b"<xml>a</xml>")  # a retry
    now[0] = 1300.0
    with pytest.raises(ReplayedRequestError):
        await guard.check(query, b"<xml>b</xml>")
    now[0] = 1302.0  # the signature check refuses this query as stale from now on
    await guard.check(query, b"<xml>b</xml>")


@pytest.mark.parametrize("timestamp", ["²", "١٧٦٤٠٠٠٠٠٠", "9" * 12])
async def test_a_signed_odd_timestamp_is_refused_not_a_500(start_server, timestamp):
    harness = await start_server()
    peer = harness.peer
    query, body = peer.signed(peer.text(new_openid(), "你好"), timestamp=timestamp)  # signed over the odd value
    assert (await peer.post_raw(query, body))[0] == 403
    async with peer.session.get(harness.webhook, params={**query, "echostr": "1"}) as response:
        assert response.status == 403  # URL verification too
