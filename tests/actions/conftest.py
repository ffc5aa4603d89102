"""Actions run against the real reference portal, served on loopback."""
from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.gov_api import GovApi, use_gov_api
from actions.staff_desk import use_staff_desk
from console.db import create_engine, migrate
from console.escalation import Escalations
from console.hours import StaffHours
from console.messages import Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from govbot.clock import CHINA_TZ, use_clock
from portal.app import init_app
from portal.settings import PortalSettings
from tests.conftest import Clock

DOMAIN: Dict[str, Any] = {}
BOT_KEY = "actions-test-bot-key"
DAY = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA_TZ)     # Wed: bookable Thu 26, Fri 27, Mon 30, Tue 1, Wed 2
NIGHT = datetime(2026, 11, 25, 0, 30, tzinfo=CHINA_TZ)   # 00:30 China time is still 24 Nov in UTC


@pytest.fixture(autouse=True)
def china_clock(clock: Clock) -> Iterator[Clock]:
    """Actions and the portal on one fixed China clock (``tests.conftest.FIXED_NOW`` unless a test
    sets ``clock.now``): no test depends on the day it runs."""
    use_clock(clock)
    yield clock
    use_clock(None)


@pytest.fixture(scope="session")
def console_template(tmp_path_factory) -> Path:
    """A migrated console database, copied for each test (migrating each time would be slow)."""
    path = tmp_path_factory.mktemp("console") / "template.sqlite3"

    async def migrated() -> None:
        engine = create_engine(f"sqlite:///{path}")
        await migrate(engine)
        await engine.dispose()
    asyncio.run(migrated())
    return path


@pytest.fixture(autouse=True)
async def staff_desk(console_template, tmp_path) -> AsyncIterator[Escalations]:
    """The console the action server hands to ``action_handoff``, on a real SQLite file."""
    path = tmp_path / "console.sqlite3"
    shutil.copy(console_template, path)
    engine = create_engine(f"sqlite:///{path}")
    hours = StaffHours(ConsoleSettings().staff_hours)
    desk = Escalations(Sessions(engine, hours), Transcripts(engine), hours)
    use_staff_desk(desk)
    yield desk
    use_staff_desk(None, handed=False)
    await engine.dispose()


@pytest.fixture
async def portal_url(aiohttp_server, sqlite_url) -> str:
    server = await aiohttp_server(init_app(PortalSettings(database_url=sqlite_url, api_key=BOT_KEY,
                                                          admin_key="actions-test-admin-key")))
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def client(portal_url):
    portal = GovApi(portal_url, BOT_KEY)
    use_gov_api(portal)
    yield portal
    await portal.close()


@pytest.fixture(params=[DAY, NIGHT], ids=["10:00", "00:30"])
async def at(request, aiohttp_server, sqlite_url, clock):
    """A portal and the actions on the same fixed China clock; yields the app (for filling slots)."""
    clock.now = request.param
    app = init_app(PortalSettings(database_url=sqlite_url, api_key=BOT_KEY, admin_key="k-admin", now=clock))
    server = await aiohttp_server(app)
    client = GovApi(str(server.make_url("")).rstrip("/"), BOT_KEY)
    use_gov_api(client)
    yield app
    await client.close()


def make_tracker(text: str, intent: str = "inform", slots: Optional[Dict[str, Any]] = None,
                 entities: Optional[List[Dict[str, Any]]] = None, sender: str = "o_citizen",
                 events: Optional[List[Dict[str, Any]]] = None, active_loop: Optional[str] = None) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []}
    return Tracker(sender, slots or {}, message, events or [], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def asked_before(slot: str, times: int, text: str = "") -> List[Dict[str, Any]]:
    """Tracker events of a form that asked for ``slot`` in ``times`` turns in a row, each after a
    citizen's message, then the citizen's latest message ``text`` (the turn being validated)."""
    events: List[Dict[str, Any]] = []
    for number in range(times):
        events += [{"event": "user", "text": f"回答{number}", "parse_data": {"intent": {"name": "inform"}}},
                   {"event": "action", "name": "some_form"},
                   {"event": "slot", "name": "requested_slot", "value": slot},
                   {"event": "bot", "text": f"请问{slot}？"}, {"event": "action", "name": "action_listen"}]
    return events + [{"event": "user", "text": text, "parse_data": {"intent": {"name": "inform"}}}]
