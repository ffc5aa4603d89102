"""WeRoBot-style contract of the webhook, against Rasa's real app and a wechatpy-built peer.

Unsigned GET refused, signed GET echoes; unsigned POST refused, signed POST gets an XML reply.
"""
from __future__ import annotations

import aiohttp
import xmltodict
from wechatpy.utils import WeChatSigner

from tests.connectors.conftest import new_openid


def _signed_query(token: str, timestamp: str, nonce: str) -> dict:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}


async def test_health(start_server):
    harness = await start_server()
    async with aiohttp.ClientSession() as session:
        async with session.get(harness.url + "/webhooks/wechat/") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"


async def test_unsigned_get_is_refused_and_signed_get_echoes(start_server):
    harness = await start_server()
    peer = harness.peer
    async with aiohttp.ClientSession() as session:
        async with session.get(harness.webhook, params={"echostr": "hello"}) as response:
            assert response.status == 403
        query, _ = peer.signed(peer.text(new_openid(), "x"))
        bad = {**query, "signature": "0" * 40, "echostr": "hello"}
        async with session.get(harness.webhook, params=bad) as response:
            assert response.status == 403
        async with session.get(harness.webhook, params={**query, "echostr": "4829471"}) as response:
            assert response.status == 200
            assert await response.text() == "4829471"


async def test_unsigned_post_is_refused_and_never_reaches_the_assistant(start_server):
    harness = await start_server()
    body = harness.peer.text(new_openid(), "你好").encode()
    status, _ = await harness.peer.post_raw({}, body)
    assert status == 403
    query, body = harness.peer.signed(harness.peer.text(new_openid(), "你好"))
    status, _ = await harness.peer.post_raw({**query, "signature": "f" * 40}, body)
    assert status == 403
    assert harness.agent.turns == []


async def test_stale_timestamp_is_refused(start_server):
    harness = await start_server()
    peer = harness.peer
    query, body = peer.signed(peer.text(new_openid(), "你好"), timestamp="1409735669")
    status, _ = await peer.post_raw(query, body)
    assert status == 403
    assert harness.agent.turns == []


async def test_signed_post_gets_an_xml_text_reply(start_server):
    harness = await start_server()
    openid = new_openid()
    delivery = await harness.peer.push(harness.peer.text(openid, "补办身份证要带什么"))
    assert delivery.status == 200
    reply = xmltodict.parse(delivery.body)["xml"]
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == openid
    assert reply["FromUserName"] == harness.peer.account
    assert reply["Content"] == "你说：补办身份证要带什么"
    assert harness.agent.turns == [(openid, "补办身份证要带什么")]
