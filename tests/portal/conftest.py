"""Fixtures that run the reference portal as a real server on loopback.

The portal runs with a bot key and an admin key; ``portal`` is a client that sends the bot's
key on every request (as the assistant does), ``as_caller`` gives another client of the same
server with other credentials (the admin key, a wrong key, none).
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Dict, Optional, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from portal.app import init_app
from portal.settings import PortalSettings

BOT_KEY = "test-bot-key-0123456789"
ADMIN_KEY = "test-admin-key-9876543210"
BOT = {"Authorization": f"Bearer {BOT_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
WRONG = {"Authorization": "Bearer not-a-key"}
PortalFactory = Callable[..., Awaitable[TestClient]]
CallerFactory = Callable[[TestClient, Optional[Dict[str, str]]], Awaitable[TestClient]]


@pytest.fixture
def make_portal(aiohttp_client, database_url, clock) -> PortalFactory:
    async def make(headers: Optional[Dict[str, str]] = None, **settings) -> TestClient:
        settings = {"api_key": BOT_KEY, "admin_key": ADMIN_KEY, **settings}
        app = init_app(PortalSettings(database_url=database_url, now=clock, **settings))
        return await aiohttp_client(app, headers=BOT if headers is None else headers)
    return make


@pytest.fixture
async def portal(make_portal) -> TestClient:
    return await make_portal()


@pytest.fixture
async def webhook_portal(make_portal, aiohttp_server) -> Tuple[TestClient, "asyncio.Queue[dict]"]:
    """A portal whose webhook posts land in a queue (a real receiving server), reminders checked often."""
    received: "asyncio.Queue[dict]" = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await received.put(await request.json())
        return web.Response(text="ok")

    hook = web.Application()
    hook.router.add_post("/hook", receive)
    server = await aiohttp_server(hook)
    return await make_portal(webhook_url=str(server.make_url("/hook")), reminder_interval=0.05), received


@pytest.fixture
def as_caller(aiohttp_client) -> CallerFactory:
    """Another client of the server behind ``client``, sending ``headers`` (None: no key at all)."""
    async def make(client: TestClient, headers: Optional[Dict[str, str]] = None) -> TestClient:
        return await aiohttp_client(client.server, headers=headers or {})
    return make


@pytest.fixture
async def admin(portal, as_caller) -> TestClient:
    return await as_caller(portal, ADMIN)


@pytest.fixture
async def anonymous(portal, as_caller) -> TestClient:
    return await as_caller(portal, None)
