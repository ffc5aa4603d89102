"""Shared fixtures: real SQLite and real PostgreSQL databases, and a fixed clock."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator, Iterator

import asyncpg
import pytest

from govbot.clock import CHINA_TZ

# SQLAlchemy's one "Deprecated API features detected" notice, caused by Rasa's own tracker-store
# models (SQLAlchemy 1.4 pinned by Rasa): silenced by its own switch, read when SQLAlchemy is
# imported, since Rasa's imports reset the warning filters pyproject.toml sets; also inherited by
# the servers the tests start.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Wednesday 2026-11-25 10:00 in China: bookable days are Thu 26, Fri 27, Mon 30 Nov, Tue 1 and Wed 2 Dec.
FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA_TZ)


class Clock:
    """A settable clock for the portal, so time rules are tested at chosen moments."""

    def __init__(self, now: datetime = FIXED_NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Shanghai"])
def server_zone(request, monkeypatch):
    """The process's own zone, as a server might have it: China time must not depend on it."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh empty database of each kind; PostgreSQL gets its own database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        return
    name = f"govbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'portal.sqlite3'}"


# --- The processes of `govbot up`, shared by the tests that probe the servers --------------

@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The assistant's model, trained first when it is missing or out of date (``govbot train``)."""
    from govbot.settings import MODELS_DIR
    from govbot.train import MODEL_NAME, train

    assert train() == 0, "training failed"
    return MODELS_DIR / f"{MODEL_NAME}.tar.gz"


@pytest.fixture(scope="session")
def live_stack(trained_model: Path, tmp_path_factory):
    """Portal, action server, Rasa server (trained model) and fake WeChat API as real processes on
    loopback with fresh keys (``govbot.stack``)."""
    from govbot.stack import running_stack

    with running_stack(trained_model, log_dir=tmp_path_factory.mktemp("stack-logs")) as stack:
        yield stack
