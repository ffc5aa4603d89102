"""Fixtures of the console's tests: a migrated database of each kind (the shared ``database_url``),
the settable ``clock``, staff hours 09:00-17:00, three staff members and a headless Chromium."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from console.db import create_engine, migrate
from console.hours import StaffHours
from console.messages import Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.staff import Staff, StaffAccounts
from tests.console.chromium import chromium

# Cheap parameters keep the tests fast; the product uses argon2-cffi's defaults.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Team:
    wang: Staff  # agent
    li: Staff  # agent
    zhao: Staff  # supervisor


@pytest.fixture
async def engine(database_url) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def hours() -> StaffHours:
    return StaffHours(ConsoleSettings().staff_hours)


@pytest.fixture
def sessions(engine, hours, clock) -> Sessions:
    return Sessions(engine, hours, clock)


@pytest.fixture
def transcripts(engine, clock) -> Transcripts:
    return Transcripts(engine, clock)


@pytest.fixture
def accounts(engine, clock) -> StaffAccounts:
    return StaffAccounts(engine, clock, CHEAP_HASHER)


@pytest.fixture
async def team(accounts) -> Team:
    return Team(await accounts.add_staff("wang", "王小明", "agent", PASSWORD),
                await accounts.add_staff("li", "李娜", "agent", PASSWORD),
                await accounts.add_staff("zhao", "赵主管", "supervisor", PASSWORD))


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, at 1280×800 (``tests.console.chromium``)."""
    yield from chromium()
