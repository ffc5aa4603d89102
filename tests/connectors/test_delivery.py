"""Delivery under pressure (issue 9): per-openid rate limit, each customer-service part sent at
most once across an outage, and stale kept answers collapsing to the latest.

The WeChat side is the fake API on loopback: ``POST /_fake/outage`` carries calls out but loses
their answers; ``FakeWeChatServer.go_down`` refuses connections. Outages end when the test has
seen what it waits for (the answers kept, nobody pushing), not after a guessed time.
"""
from __future__ import annotations

import asyncio
import time
from typing import List

import aiohttp
import pytest

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import OutcomeUnknown, WeChatUnreachable
from connectors.wechat.inbound import MESSAGE_WINDOW
from connectors.wechat.outbox import LATEST, Outbox, parts_of
from connectors.wechat.storage import Backlog, Storage, TurnKeys
from connectors.wechat.testing.devserver import EchoAgent
from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TOKEN
from connectors.wechat.testing.simulator import WeChatPeer
from connectors.wechat.turns import TOO_FAST
from tests.connectors.conftest import REDIS_URL, new_openid

SEND = "/cgi-bin/message/custom/send"


@pytest.fixture(params=["in-process", "redis"])
def backend(request, redis_prefix):
    return {} if request.param == "in-process" else {"redis_url": REDIS_URL, "key_prefix": redis_prefix}


@pytest.fixture(params=["in-process", "redis"])
async def store(request, redis_prefix):
    storage = Storage.in_process() if request.param == "in-process" else Storage.connect(REDIS_URL, redis_prefix)
    yield storage
    await storage.close()


def delivered(fake, openid) -> List[str]:
    """Every customer-service text the citizen's WeChat shows, in order."""
    return [m["text"] for m in fake.fake.state.messages if m["openid"] == openid and m["kind"] == "text"]


async def lose_answers(fake, seconds: float) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(fake.url + "_fake/outage", json={"seconds": seconds}) as response:
            response.raise_for_status()


async def until(condition, wait: float = 10.0) -> None:
    deadline = time.monotonic() + wait
    while not await condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


def kept_and_idle(harness, openid):
    """A condition: something is kept for ``openid`` and no turn of theirs is pushing."""
    storage = harness.channel.storage

    async def check() -> bool:
        return await storage.exists(f"pending:{openid}") and not await storage.exists(f"pushing:{openid}")
    return check


async def settle_down(fake, openid, count: int, wait: float = 5.0) -> List[str]:
    """The texts delivered to ``openid`` once ``count`` are there and nothing came for 0.5 s."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and len(delivered(fake, openid)) < count:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    return delivered(fake, openid)


# ------------------------------------------------------------ per-openid rate limit


async def test_take_token_is_a_shared_bucket_with_a_burst(store):
    assert [await store.take_token("rate:u", 10.0, 3) for _ in range(4)] == [True, True, True, False]
    assert await store.take_token("rate:v", 10.0, 3)  # each key its own bucket
    await asyncio.sleep(0.25)  # refilled at 10 per second: two tokens
    assert [await store.take_token("rate:u", 10.0, 3) for _ in range(3)] == [True, True, False]


async def test_the_in_process_bucket_refills_on_its_clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(time, "time", lambda: now[0])  # fakeredis's clock, as Redis's TIME
    store = Storage.in_process()
    assert [await store.take_token("r", 20 / 60, 10) for _ in range(11)] == [True] * 10 + [False]
    now[0] += 3.0  # 20 a minute: one token every 3 s
    assert [await store.take_token("r", 20 / 60, 10) for _ in range(2)] == [True, False]
    now[0] += 600.0  # never more than the burst
    assert sum([await store.take_token("r", 20 / 60, 10) for _ in range(15)]) == 10


async def test_a_flooding_user_is_limited_and_others_are_still_answered_promptly(start_server, backend):
    agent = EchoAgent(busy=0.03)  # each turn holds the event loop, as inference does
    harness = await start_server(agent=agent, **backend)  # defaults: 20 a minute, burst 10
    peer, flooder, other = harness.peer, new_openid(), new_openid()
    flood = asyncio.ensure_future(asyncio.gather(
        *(peer.push(peer.text(flooder, f"刷屏{i}"), tries=1) for i in range(40))))
    await asyncio.sleep(0.2)
    latencies = []
    for text in ("你好", "补办身份证", "谢谢"):
        started = time.monotonic()
        assert (await peer.push(peer.text(other, text))).reply == f"你说：{text}"
        latencies.append(time.monotonic() - started)
    deliveries = await flood
    assert max(latencies) < 1.0, latencies
    assert all(d.status == 200 for d in deliveries)  # acknowledged, never a 5xx
    notices = [d for d in deliveries if d.reply == TOO_FAST]
    assert len(notices) == 1  # told once, not per message
    flooded = [text for sender, text in agent.turns if sender == flooder]
    assert 10 <= len(flooded) <= 12  # the burst (and what refilled meanwhile), not 40
    assert [text for sender, text in agent.turns if sender == other] == ["你好", "补办身份证", "谢谢"]


async def test_a_retry_of_a_message_already_taken_is_not_limited(start_server, backend):
    harness = await start_server(user_rate_per_minute=1, user_rate_burst=1, **backend)
    peer, openid = harness.peer, new_openid()
    xml = peer.text(openid, "一句")
    assert (await peer.push(xml)).reply == "你说：一句"
    assert (await peer.push(xml)).reply == "你说：一句"  # WeChat's retry: the same answer
    assert (await peer.push(peer.text(openid, "又一句"))).reply == TOO_FAST
    assert (await peer.push(peer.text(openid, "再一句"))).reply is None
    assert [text for _, text in harness.agent.turns] == ["一句"]


# ------------------------------------------------------------ each part at most once


async def test_the_client_tells_a_lost_answer_from_an_unreachable_api(fake):
    openid = new_openid()
    fake.fake.interact(openid, "message")
    client = WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, fake.url, Storage.in_process(), timeout=0.5)
    await client.send_text(openid, "取令牌")
    await lose_answers(fake, 60)
    with pytest.raises(OutcomeUnknown):
        await client.send_text(openid, "答复丢了")
    await lose_answers(fake, 0)
    await client.close()
    assert delivered(fake, openid) == ["取令牌", "答复丢了"]  # carried out all the same
    down = WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, "http://127.0.0.1:9/", Storage.in_process(), timeout=0.5)
    with pytest.raises(WeChatUnreachable):
        await down.send_text(openid, "没发出去")
    await down.close()


async def test_a_part_sent_before_is_skipped_when_its_turn_runs_again(fake, store):
    openid = new_openid()
    fake.fake.interact(openid, "message")
    client = WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, fake.url, store)
    outbox = Outbox(store, client)
    await store.set(*outbox.window(openid, MESSAGE_WINDOW))  # as the claim of the citizen's push does
    assert await outbox.send(openid, parts_of("7001", ["一", "二"])) == 2
    assert await outbox.send(openid, parts_of("7001", ["一", "二", "三"])) == 3  # re-run (takeover)
    assert await outbox.send(openid, parts_of("7002", ["一"])) == 1  # another turn's part is its own
    await client.close()
    assert delivered(fake, openid) == ["一", "二", "三", "一"]


async def test_a_send_whose_answer_was_lost_is_not_sent_again(start_server, fake, backend):
    harness = await start_server(api_timeout=0.5, **backend)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "multi 2"))).reply == "第1条"
    assert await settle_down(fake, openid, 1) == ["第2条"]  # the token is cached
    await lose_answers(fake, 60)  # WeChat carries sends out, its answers do not come back
    assert (await peer.push(peer.text(openid, "multi 3"))).reply == "第1条"
    await until(kept_and_idle(harness, openid))  # 第2条 tried (its answer lost), 第3条 kept
    await lose_answers(fake, 0)  # the outage is over
    later = await peer.push(peer.text(openid, "你好"))
    texts = await settle_down(fake, openid, 3)
    assert texts == ["第2条", "第2条", "你说：你好"]  # the lost-answer 第2条 arrived once, not again
    assert later.reply == "第3条"  # never tried during the outage: kept, then sent
    sends = [c for c in fake.fake.state.calls if c["path"] == SEND]
    assert len(sends) == 3


async def test_a_send_that_never_reached_wechat_is_sent_later_once(start_server, fake, backend):
    harness = await start_server(**backend)
    peer, openid = harness.peer, new_openid()
    quiet = WeChatPeer(harness.webhook, DEMO_TOKEN, DEMO_APP_ID)  # the fake is down: report in-process
    await fake.go_down()
    fake.fake.interact(openid, "message")
    assert (await quiet.push(quiet.text(openid, "multi 3"))).reply == "第1条"
    await until(kept_and_idle(harness, openid))  # refused twice: 第2条, 第3条 kept
    await fake.come_back()
    await quiet.close()
    later = await peer.push(peer.text(openid, "你好"))
    assert later.reply == "第2条"
    assert await settle_down(fake, openid, 2) == ["第3条", "你说：你好"]


# ------------------------------------------------------------ stale answers collapse


class TwoParts(EchoAgent):
    """``两条 X``: two messages, ``X：第1条`` and ``X：第2条``."""

    async def handle_message(self, message) -> None:
        command, _, name = (message.text or "").partition(" ")
        if command != "两条":
            return await super().handle_message(message)
        self.turns.append((message.sender_id, message.text))
        for i in (1, 2):
            await message.output_channel.send_response(message.sender_id, {"text": f"{name}：第{i}条"})


async def test_stale_kept_answers_collapse_to_the_latest_after_an_outage(start_server, fake, backend):
    harness = await start_server(agent=TwoParts(), **backend)
    openid = new_openid()
    quiet = WeChatPeer(harness.webhook, DEMO_TOKEN, DEMO_APP_ID)  # the fake is down: report in-process
    await fake.go_down()
    replies = []
    for name in ("甲", "乙", "丙"):  # each answer's customer-service parts are refused and kept
        fake.fake.interact(openid, "message")
        replies.append((await quiet.push(quiet.text(openid, f"两条 {name}"))).reply)
        await until(kept_and_idle(harness, openid))
    await fake.come_back()
    await quiet.close()
    latest = await harness.peer.push(harness.peer.text(openid, "两条 丁"))
    pushed = await settle_down(fake, openid, 1)
    assert replies == ["甲：第1条", "甲：第2条", "乙：第1条"]  # one earlier leftover still goes first
    # 乙：第2条, 丙：第1条, 丙：第2条 were kept for two earlier messages: dropped, not flooded
    assert latest.reply == f"{LATEST}\n丁：第1条"
    assert pushed == ["丁：第2条"]


async def test_finish_drops_a_backlog_of_stale_answers_alike(store):
    keys = TurnKeys(member="t3", queue="queue:u", pushing="pushing:u", done_ttl=60)
    kept = ['{"text": "旧1", "id": "t1:1", "turn": "t1"}', '{"text": "提醒", "id": "notice-x:0"}',
            '{"text": "旧2", "id": "t2:0", "turn": "t2"}']
    own = [{"text": "新", "id": "t3:0", "turn": "t3"}]
    marked = [{"text": "标记\n新", "id": "t3:0", "turn": "t3"}]
    await store.append("pending:u", kept, 60, 20)
    texts, _ = await store.finish(keys, own, "pending:u", True, 5, Backlog(2, marked))
    assert [t["text"] for t in texts] == ["提醒", "标记\n新"]
    await store.append("pending:u", kept[:2], 60, 20)  # one earlier message only: not a backlog
    texts, _ = await store.finish(keys, own, "pending:u", True, 5, Backlog(2, marked))
    assert [t["text"] for t in texts] == ["旧1", "提醒", "新"]
