"""Several servers on one Redis, and Redis restarted mid-conversation."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

from connectors.wechat.testing.devserver import EchoAgent
from govbot.processes import free_port
from tests.connectors.conftest import REDIS_URL, new_openid

pytestmark = pytest.mark.slow  # starts connector servers and a private Redis


async def test_two_servers_on_one_redis_run_a_retried_message_once(start_server, redis_prefix):
    a = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix, agent=EchoAgent(think=1.0))
    b = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix, agent=EchoAgent(think=1.0))
    openid = new_openid()
    xml = a.peer.text(openid, "同一条消息")

    async def try_at(delay, harness):
        await asyncio.sleep(delay)
        return await harness.peer.push(xml, tries=1)

    deliveries = await asyncio.gather(try_at(0, a), try_at(0.2, b), try_at(0.4, a), try_at(1.5, b))
    assert [d.reply for d in deliveries] == ["你说：同一条消息"] * 4
    assert a.agent.turns + b.agent.turns == [(openid, "同一条消息")]


async def test_order_of_one_user_holds_across_servers(start_server, redis_prefix):
    a = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix)
    b = await start_server(redis_url=REDIS_URL, key_prefix=redis_prefix)
    openid = new_openid()
    started = time.monotonic()

    async def send(delay, harness, text):
        await asyncio.sleep(delay)
        delivery = await harness.peer.push(harness.peer.text(openid, text))
        return delivery.reply, time.monotonic() - started

    (first, t1), (second, t2) = await asyncio.gather(send(0, a, "slow 1.2 一"), send(0.1, b, "二"))
    assert (first, second) == ("慢慢答：一", "你说：二")
    assert t2 >= 1.2 and t2 >= t1 - 0.05  # the second waited for the first, on another server


@pytest.fixture
def private_redis():
    """A Redis server of this test's own, so that it can be stopped and started again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                  capture_output=True).stdout.strip() == b"PONG":
                    return
                time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            if self.process is not None:
                self.process.terminate()
                self.process.wait(5)
                self.process = None

    server = Server()
    server.start()
    yield server
    server.stop()


async def test_redis_restarted_mid_conversation(start_server, private_redis):
    harness = await start_server(redis_url=private_redis.url)
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "第一句"))).reply == "你说：第一句"
    private_redis.stop()
    started = time.monotonic()
    down = await peer.push(peer.text(openid, "宕机时"), tries=1)
    assert down.status == 503 and time.monotonic() - started < 4.5  # WeChat will retry; no turn ran
    private_redis.start()
    assert (await peer.push(peer.text(openid, "恢复后"))).reply == "你说：恢复后"
    assert (await peer.push(peer.text(openid, "multi 2"))).reply == "第1条"
    messages, _ = await peer.customer_messages(openid, wait=3)
    assert [m["text"] for m in messages] == ["第2条"]
    assert [t for _, t in harness.agent.turns] == ["第一句", "恢复后", "multi 2"]
