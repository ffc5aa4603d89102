"""Real server processes (slow): two Rasa servers sharing one Redis, and the trained assistant.

Marked ``slow``: each process imports Rasa (several seconds). ``make test`` runs them;
``pytest -m 'not slow'`` skips them.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Dict

import pytest

from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TOKEN
from connectors.wechat.testing.simulator import WeChatPeer
from govbot.processes import free_port, start, stop, wait_until_up_async
from tests.connectors.conftest import REDIS_URL, new_openid

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _env(fake_url: str, **extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"WECHAT_APP_ID": DEMO_APP_ID, "WECHAT_APP_SECRET": DEMO_APP_SECRET, "WECHAT_TOKEN": DEMO_TOKEN,
                "WECHAT_API_BASE_URL": fake_url, "PYTHONPATH": str(ROOT), **extra})
    env.pop("WECHAT_ENCODING_AES_KEY", None)
    return env


async def test_two_server_processes_sharing_redis_run_retries_once(fake, redis_prefix, tmp_path):
    record = tmp_path / "turns.jsonl"
    ports = [free_port(), free_port()]
    env = _env(fake.url, REDIS_URL=REDIS_URL)
    processes = [start([sys.executable, "-m", "connectors.wechat.testing.devserver", "--port", str(port),
                        "--think", "1.0", "--record", str(record), "--key-prefix", redis_prefix], env)
                 for port in ports]
    try:
        await wait_until_up_async([f"http://127.0.0.1:{port}/webhooks/wechat/" for port in ports], processes, 120)
        peers = [WeChatPeer(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", DEMO_TOKEN, DEMO_APP_ID,
                            fake_api_url=fake.url) for port in ports]
        openid = new_openid()
        xml = peers[0].text(openid, "两个进程")

        async def try_at(delay, peer):
            await asyncio.sleep(delay)
            return await peer.push(xml, tries=1)

        # WeChat's tries of one message land on different processes, overlapping
        deliveries = await asyncio.gather(try_at(0, peers[0]), try_at(0.2, peers[1]), try_at(0.5, peers[0]),
                                          try_at(1.5, peers[1]))
        assert [d.reply for d in deliveries] == ["你说：两个进程"] * 4
        # and a slow turn is pushed once, by whichever process ran it
        slow_xml = peers[0].text(openid, "slow 5 慢")
        first = await asyncio.gather(peers[0].push(slow_xml, tries=1), peers[1].push(slow_xml, tries=1))
        assert [d.body for d in first] == ["success", "success"]
        messages, _ = await peers[0].customer_messages(openid, wait=6)
        await asyncio.sleep(1)
        again, _ = await peers[0].customer_messages(openid)
        for peer in peers:
            await peer.close()
    finally:
        stop(processes)
    turns = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [t["text"] for t in turns] == ["两个进程", "slow 5 慢"]
    assert [m["text"] for m in again] == ["慢慢答：慢"]


async def test_the_trained_assistant_answers_through_the_real_webhook(trained_model, fake, tmp_path):
    port = free_port()
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nconnectors.wechat.channel.WeChatInput:\n")
    process = start([sys.executable, "-m", "rasa", "run", "--model", str(trained_model), "--port", str(port),
                     "--credentials", str(credentials)], _env(fake.url))
    try:
        await wait_until_up_async([f"http://127.0.0.1:{port}/webhooks/wechat/"], [process], 240)
        peer = WeChatPeer(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", DEMO_TOKEN, DEMO_APP_ID,
                          fake_api_url=fake.url)
        openid = new_openid()
        delivery = await peer.push(peer.text(openid, "你好"))
        pushed, _ = await peer.customer_messages(openid, wait=2)
        await peer.close()
    finally:
        stop([process])
    assert delivery.status == 200
    answer = delivery.reply or (pushed[0]["text"] if pushed else "")
    assert answer and any("\u4e00" <= ch <= "\u9fff" for ch in answer)
