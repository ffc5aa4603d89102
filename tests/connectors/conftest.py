"""Fixtures for the WeChat connector: the fake WeChat API, Redis db 15, and the real Rasa app.

The Rasa server is Rasa's own Sanic app (``rasa.core.run.configure_app``) serving the real
channel on a loopback port inside the test's event loop; the assistant behind it is the
devserver's ``EchoAgent`` (no trained model needed). The WeChat side is ``WeChatPeer``, built
on wechatpy only.
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from connectors.wechat.channel import WeChatInput
from connectors.wechat.settings import WeChatSettings
from connectors.wechat.testing.devserver import EchoAgent, build_app
from connectors.wechat.testing.fake_api import (
    DEMO_ACCOUNT,
    DEMO_AES_KEY,
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_TOKEN,
    FakeWeChatServer,
)
from connectors.wechat.testing.simulator import WeChatPeer
from console.settings import ConsoleSettings
from govbot.processes import delete_prefix, free_port

REDIS_URL = "redis://127.0.0.1:6379/15"
Sanic.test_mode = True  # several Rasa apps in one test process


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatServer]:
    async with FakeWeChatServer() as server:
        yield server


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in Redis db 15; only its keys are removed afterwards."""
    prefix = f"govbot-wechat-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    await delete_prefix(REDIS_URL, prefix)


def make_settings(api_base_url: str, **overrides: Any) -> WeChatSettings:
    settings = WeChatSettings(app_id=DEMO_APP_ID, app_secret=DEMO_APP_SECRET, token=DEMO_TOKEN,
                              api_base_url=api_base_url, account_id=DEMO_ACCOUNT)
    return replace(settings, **overrides)


@dataclass
class Harness:
    channel: WeChatInput
    agent: Any
    url: str
    peer: WeChatPeer
    server: Any

    @property
    def webhook(self) -> str:
        return self.url + "/webhooks/wechat/webhook"

    async def stop(self) -> None:
        await self.channel.close()
        await self.peer.close()
        await self.server.before_stop()
        await self.server.close()
        await self.server.after_stop()


@pytest.fixture
async def start_server(fake: FakeWeChatServer) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    """Starts a Rasa app with the WeChat channel: ``await start_server(aes=True, ...)``."""
    harnesses: List[Harness] = []

    async def start(*, aes: bool = False, agent: Optional[Any] = None, console: Optional[ConsoleSettings] = None,
                    **overrides: Any) -> Harness:
        if aes:
            overrides.setdefault("encoding_aes_key", DEMO_AES_KEY)
        settings = make_settings(fake.url, **overrides)
        channel = WeChatInput(settings, console=console)
        agent = agent or EchoAgent()
        app = build_app([channel], agent)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        url = f"http://127.0.0.1:{port}"
        peer = WeChatPeer(url + "/webhooks/wechat/webhook", DEMO_TOKEN, DEMO_APP_ID,
                          DEMO_AES_KEY if aes else None, fake_api_url=fake.url)
        harness = Harness(channel, agent, url, peer, server)
        harnesses.append(harness)
        return harness

    yield start
    for harness in harnesses:
        await harness.stop()


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


class HandedToStaff(EchoAgent):
    """Behaves like Rasa's agent for conversations handed to staff: "转人工" says ``HANDOFF`` and
    pauses the tracker (in Rasa's own in-memory tracker store, beside its lock store), and a paused
    conversation gets no answer from the assistant."""

    HANDOFF = "好的，已为您转人工服务。"

    def __init__(self, handoff_seconds: float = 0.0) -> None:
        super().__init__()
        self.handoff_seconds = handoff_seconds  # how long the handoff's action takes
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()

    async def hand_over(self, sender: str) -> None:
        tracker = DialogueStateTracker(sender, [])
        tracker.update(ConversationPaused())
        await self.tracker_store.save(tracker)

    async def is_paused(self, sender: str) -> bool:
        tracker = await self.tracker_store.retrieve(sender)
        return tracker is not None and tracker.is_paused()

    async def handle_message(self, message) -> None:
        if await self.is_paused(message.sender_id):
            return
        if message.text == "转人工":
            await asyncio.sleep(self.handoff_seconds)
            await message.output_channel.send_response(message.sender_id, {"text": self.HANDOFF})
            await self.hand_over(message.sender_id)
            return
        await super().handle_message(message)
