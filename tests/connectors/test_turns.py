"""Exactly-once turns: retries, overlapping deliveries, slow turns, several and long replies, quota."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from connectors.wechat.testing.devserver import EchoAgent
from connectors.wechat.text import byte_length
from connectors.wechat.turns import HOLDING
from tests.connectors.conftest import REDIS_URL, HandedToStaff, new_openid


@pytest.fixture(params=["in-process", "redis"])
def backend(request, redis_prefix):
    """Storage settings: in-process, or Redis db 15 under this test's own prefix."""
    return {} if request.param == "in-process" else {"redis_url": REDIS_URL, "key_prefix": redis_prefix}


async def _customer_texts(peer, openid, count, wait=8.0):
    """Customer-service texts for ``openid`` once ``count`` have arrived (or ``wait`` ran out)."""
    deadline = time.monotonic() + wait
    texts, after = [], 0
    while len(texts) < count and time.monotonic() < deadline:
        messages, after = await peer.customer_messages(openid, after, wait=max(0.1, deadline - time.monotonic()))
        texts += [m["text"] for m in messages]
    return texts


async def test_the_same_message_three_times_runs_one_turn(start_server, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    xml = peer.text(openid, "补办身份证")
    replies = [(await peer.push(xml)).reply for _ in range(3)]
    assert replies == ["你说：补办身份证"] * 3
    assert harness.agent.turns == [(openid, "补办身份证")]


async def test_overlapping_deliveries_of_one_message_run_one_turn(start_server, backend):
    harness = await start_server(agent=EchoAgent(think=1.0), **backend)
    peer, openid = harness.peer, new_openid()
    xml = peer.text(openid, "同一条")
    deliveries = await asyncio.gather(*(peer.push(xml) for _ in range(3)))
    assert [d.reply for d in deliveries] == ["你说：同一条"] * 3
    assert harness.agent.turns == [(openid, "同一条")]


async def test_a_turn_over_5s_is_delivered_once_through_customer_service(start_server, fake):
    harness = await start_server()  # passive_timeout 4 s, as in production
    peer, openid = harness.peer, new_openid()
    started = time.monotonic()
    delivery = await peer.push(peer.text(openid, "slow 5.5 办护照"))
    assert delivery.body == "success" and delivery.tries == 1
    assert 3.9 < time.monotonic() - started < 5.0  # answered within WeChat's 5 s
    assert await _customer_texts(peer, openid, 1) == ["慢慢答：办护照"]
    await asyncio.sleep(1.0)  # nothing else comes later
    sent = [c for c in fake.fake.state.calls if c["path"] == "/cgi-bin/message/custom/send"]
    assert len(sent) == 1 and sent[0]["errcode"] == 0
    assert harness.agent.turns == [(openid, "slow 5.5 办护照")]


async def test_wechat_retrying_a_slow_message_still_gets_one_turn_and_one_push(start_server, fake, backend):
    harness = await start_server(passive_timeout=1.5, **backend)
    peer, openid = harness.peer, new_openid()
    # WeChat's tries, sped up: each waits 0.5 s, so all three give up while the turn runs
    delivery = await peer.push(peer.text(openid, "slow 2 慢"), tries=3, timeout=0.5)
    assert delivery.timed_out
    assert await _customer_texts(peer, openid, 1) == ["慢慢答：慢"]
    await asyncio.sleep(0.5)
    assert len(await _customer_texts(peer, openid, 2, wait=0.3)) == 1
    assert harness.agent.turns == [(openid, "slow 2 慢")]


async def test_several_messages_first_passive_rest_pushed_in_order(start_server, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "multi 3"))).reply == "第1条"
    assert await _customer_texts(peer, openid, 2) == ["第2条", "第3条"]


async def test_long_reply_is_split_on_sentences_within_2048_bytes(start_server, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    first = (await peer.push(peer.text(openid, "long 5000"))).reply
    rest = await _customer_texts(peer, openid, 2)
    parts = [first] + rest
    assert len(parts) == 3
    assert all(byte_length(p) <= 2048 for p in parts)
    assert all(p.endswith("。") for p in parts)  # cut between sentences
    sentence = "办理居民身份证需携带户口簿和近期照片。"
    assert "".join(parts) == "".join(f"{i}{sentence}" for i in range(5000 // len(sentence.encode())))


async def test_messages_of_one_user_are_handled_in_order(start_server, backend):
    harness = await start_server(agent=EchoAgent(), **backend)
    peer, openid = harness.peer, new_openid()

    async def later(delay, text):
        await asyncio.sleep(delay)
        return await peer.push(peer.text(openid, text))

    results = await asyncio.gather(later(0, "slow 1 一"), later(0.1, "二"), later(0.2, "三"))
    assert [r.reply for r in results] == ["慢慢答：一", "你说：二", "你说：三"]
    assert [text for _, text in harness.agent.turns] == ["slow 1 一", "二", "三"]


async def test_other_users_are_not_held_up_by_a_slow_one(start_server):
    harness = await start_server()
    peer = harness.peer
    slow = asyncio.ensure_future(peer.push(peer.text(new_openid(), "slow 2 慢")))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    assert (await peer.push(peer.text(new_openid(), "快"))).reply == "你说：快"
    assert time.monotonic() - started < 1.0
    await slow


async def test_quota_refusal_keeps_replies_for_the_next_user_message(start_server, fake, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    async with aiohttp.ClientSession() as session:
        await session.post(fake.url + "_fake/fail", json={
            "path": "/cgi-bin/message/custom/send", "errcode": 45047, "times": 1})
    assert (await peer.push(peer.text(openid, "multi 3"))).reply == "第1条"
    await asyncio.sleep(0.8)
    assert await _customer_texts(peer, openid, 1, wait=0.3) == []  # refused: kept, not lost
    # the next user message delivers what was kept, first, then its own reply
    assert (await peer.push(peer.text(openid, "你好"))).reply == "第2条"
    assert await _customer_texts(peer, openid, 2) == ["第3条", "你说：你好"]


async def test_out_of_window_push_waits_for_the_user(start_server, fake):
    harness = await start_server()
    openid = new_openid()
    output = harness.channel.get_output_channel()
    # no interaction within 48 h: no quota, so no API call, and the message is kept
    await output.send_text_message(openid, "您的预约明天上午9点开始")
    assert [c for c in fake.fake.state.calls if c["path"] == "/cgi-bin/message/custom/send"] == []
    peer = harness.peer
    assert (await peer.push(peer.text(openid, "在吗"))).reply == "您的预约明天上午9点开始"
    assert await _customer_texts(peer, openid, 1) == ["你说：在吗"]


async def test_a_45015_from_wechat_is_kept_too(start_server, fake):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    async with aiohttp.ClientSession() as session:
        await session.post(fake.url + "_fake/fail", json={
            "path": "/cgi-bin/message/custom/send", "errcode": 45015, "times": 1})
    assert (await peer.push(peer.text(openid, "multi 2"))).reply == "第1条"
    await asyncio.sleep(0.8)
    assert (await peer.push(peer.text(openid, "再来"))).reply == "第2条"
    assert await _customer_texts(peer, openid, 1) == ["你说：再来"]


async def test_event_window_allows_three_pushes(start_server, fake):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    # a click opens 1 min for 3 customer-service messages; "multi" via a click payload is not
    # possible, so check the local quota directly after a follow
    await peer.push(peer.event(openid, "subscribe"))
    outbox = harness.channel.outbox
    assert await outbox.send(openid, ["a", "b", "c", "d"]) == 3
    assert await outbox.take_pending(openid) == ["d"]


async def test_a_reply_never_overtakes_the_previous_turns_pushed_messages(start_server, fake, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "multi 4"))).reply == "第1条"
    second = await peer.push(peer.text(openid, "下一句"))  # sent at once, while 第2-4条 go out
    answered = time.time()
    assert second.reply == "你说：下一句"
    pushed = [m for m in fake.fake.state.messages if m["openid"] == openid]
    assert [m["text"] for m in pushed] == ["第2条", "第3条", "第4条"]
    assert all(m["at"] <= answered for m in pushed)
    assert [t for _, t in harness.agent.turns] == ["multi 4", "下一句"]


async def test_a_turn_of_a_dead_process_is_taken_over_and_skipped(start_server, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    storage = harness.channel.storage
    xml = peer.text(openid, "接手")
    key = xml.split("<MsgId>")[1].split("</MsgId>")[0]
    # another process claimed this message and a second one of the same user, then died
    for dead in (key, "999"):
        await storage.begin(harness.channel.turns._keys(dead, openid), "dead-process", 0.3, 60)
    await asyncio.sleep(0.5)  # their leases run out
    assert (await peer.push(xml)).reply == "你说：接手"  # WeChat's retry takes the turn over
    assert (await peer.push(peer.text(openid, "然后"))).reply == "你说：然后"  # the dead "999" is skipped
    assert [t for _, t in harness.agent.turns] == ["接手", "然后"]


async def test_token_expiring_mid_conversation_is_refreshed_transparently(start_server, fake):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "multi 2"))).reply == "第1条"
    assert await _customer_texts(peer, openid, 1) == ["第2条"]
    fake.fake.expire_tokens()
    assert (await peer.push(peer.text(openid, "multi 2"))).reply == "第1条"
    assert await _customer_texts(peer, openid, 2) == ["第2条", "第2条"]
    sends = [c["errcode"] for c in fake.fake.state.calls if c["path"] == "/cgi-bin/message/custom/send"]
    assert sends == [0, 42001, 0]


async def test_a_conversation_waiting_for_staff_hears_once_that_its_messages_arrived(start_server, backend):
    agent = HandedToStaff()
    harness = await start_server(agent=agent, **backend)
    peer, waiting, other = harness.peer, new_openid(), new_openid()
    await agent.hand_over(waiting)
    first = await peer.push(peer.text(waiting, "请问人工什么时候回复"))
    assert first.reply == HOLDING
    second = await peer.push(peer.text(waiting, "还有一个问题"))
    assert second.status == 200 and second.reply is None  # told once; the staff see every message
    assert (await peer.push(peer.text(other, "你好"))).reply == "你说：你好"
