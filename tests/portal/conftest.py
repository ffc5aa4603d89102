"""Fixtures that run the reference portal as a real server on loopback."""
from __future__ import annotations

from typing import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from portal.app import init_app
from portal.settings import PortalSettings

PortalFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_portal(aiohttp_client, database_url, clock) -> PortalFactory:
    async def make(**settings) -> TestClient:
        return await aiohttp_client(init_app(PortalSettings(database_url=database_url, now=clock, **settings)))
    return make


@pytest.fixture
async def portal(make_portal) -> TestClient:
    return await make_portal()
