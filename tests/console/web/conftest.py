"""The console's web app as a real server on loopback (aiohttp's test server), on SQLite and
PostgreSQL, with a moving clock and a sender that records what it was handed.

``desk(login)`` signs a staff member in through the sign-in form, on a client of its own (its
own cookie jar), and gives a ``Desk`` that sends the right Origin and CSRF token unless told not to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from console.delivery import Allowance
from console.rasa import Said
from console.settings import ConsoleSettings
from console.web.app import create_app
from console.web.sender import SendFailed
from tests.console.conftest import CHEAP_HASHER, PASSWORD

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
OPENID = "oWx3Z9aBcDeFgHiJkLmNoPqRsTuV"  # 28 characters, as WeChat's


class RecordingSender:
    """What the WeChat wiring would be handed; ``failing`` makes every send raise; ``counted`` is
    what the channel's own counter tells (None: it cannot tell, the console estimates)."""

    def __init__(self) -> None:
        self.sent: List[Tuple[str, str, str, Optional[str]]] = []
        self.typing_to: List[Tuple[str, str]] = []
        self.failing = False
        self.counted: Optional[Allowance] = None

    def sends_to(self, channel: str) -> bool:
        return channel == "wechat"

    async def allowance(self, channel: str, sender_id: str) -> Optional[Allowance]:
        return self.counted

    async def send(self, channel: str, sender_id: str, text: str, kf_account: Optional[str]) -> None:
        if self.failing:
            raise SendFailed("the fake channel is down")
        self.sent.append((channel, sender_id, text, kf_account))

    async def typing(self, channel: str, sender_id: str) -> None:
        self.typing_to.append((channel, sender_id))


class RecordingBot:
    """The Rasa server as the console sees it: records which conversations it took back, and tells
    ``said`` as every conversation's transcript before the handoff (None: Rasa out of reach)."""

    def __init__(self) -> None:
        self.resumed: List[str] = []
        self.said: Optional[List[Said]] = []

    async def resume(self, sender_id: str) -> None:
        self.resumed.append(sender_id)

    async def history(self, sender_id: str) -> Optional[List[Said]]:
        return self.said


@dataclass
class Desk:
    """One staff member's browser: a client with its cookies and the sign-in's CSRF token."""
    client: TestClient
    csrf: str = ""
    origin: str = field(default="")

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, allow_redirects=False, **kwargs)

    async def page(self, path: str) -> str:
        response = await self.get(path)
        assert response.status == 200, (path, response.status)
        return await response.text()

    async def post(self, path: str, data: Optional[Dict[str, Any]] = None, csrf: Optional[str] = None,
                   origin: Optional[str] = None) -> ClientResponse:
        """POSTs a form as the page would; ``csrf``/``origin`` override the right ones ("" leaves them out)."""
        form = dict(data or {})
        token = self.csrf if csrf is None else csrf
        if token:
            form["_csrf"] = token
        source = self.origin if origin is None else origin
        headers = {"Origin": source} if source else {}
        return await self.client.post(path, data=form, headers=headers, allow_redirects=False)


DeskFactory = Callable[..., Awaitable[Desk]]


@pytest.fixture
def settings(database_url) -> ConsoleSettings:
    return ConsoleSettings(database_url=database_url, session_minutes=480, idle_minutes=30)


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def bot() -> RecordingBot:
    return RecordingBot()


@pytest.fixture
async def console(aiohttp_client, settings, sender, bot, clock, engine) -> TestClient:
    """The console, started after ``engine`` migrated the same database (it migrates again: a no-op)."""
    app = create_app(settings, sender, now=clock, hasher=CHEAP_HASHER, poll_interval=0.05, bot=bot)
    return await aiohttp_client(app)


@pytest.fixture
def desk(aiohttp_client, console, team) -> DeskFactory:
    async def sign_in(login: str, password: str = PASSWORD) -> Desk:
        client = await aiohttp_client(console.server)
        own = Desk(client, origin=str(console.make_url("/")).rstrip("/"))
        response = await own.post("/signin", {"login": login, "password": password}, csrf=await presign(own))
        assert response.status == 303, await response.text()
        own.csrf = CSRF.search(await own.page("/queue")).group(1)
        return own
    return sign_in


async def presign(desk: Desk) -> str:
    """The sign-in form's token (its twin is in the cookie the form set)."""
    return CSRF.search(await desk.page("/signin")).group(1)


def notice(response: ClientResponse) -> str:
    """The notice code a move's redirect carries (``claimed``, ``taken``…)."""
    assert response.status == 303, response.status
    found = re.search(r"notice=(\w+)", response.headers["Location"])
    return found.group(1) if found else ""
