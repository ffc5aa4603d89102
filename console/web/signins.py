"""Staff sign-ins kept server-side in SQL: the cookie holds a random token, the table its SHA-256.

A sign-in ends at sign-out (revoked), after ``CONSOLE_IDLE_MINUTES`` unused, or after
``CONSOLE_SESSION_MINUTES`` in all, whichever comes first; an account disabled meanwhile ends it
too. Failed sign-ins are counted from the audit log (``sign_in_failed`` rows of a login), so the
throttle holds across restarts and processes.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from console import audit, tables
from console.settings import ConsoleSettings
from console.staff import Staff
from console.timestamps import instant, stamp

MAX_FAILURES = 5  # failed sign-ins of one login within FAILURE_WINDOW before it is refused untried
FAILURE_WINDOW = timedelta(minutes=15)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often per sign-in


@dataclass(frozen=True)
class SignIn:
    token_hash: str
    staff: Staff  # as the database has the account now
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignIns:
    def __init__(self, engine: AsyncEngine, settings: ConsoleSettings, now: Callable[[], datetime]):
        self._engine = engine
        self._settings = settings
        self._now = now

    async def start(self, staff: Staff) -> str:
        """A new sign-in of ``staff``; returns the token for the cookie (kept nowhere else)."""
        token, now = secrets.token_urlsafe(32), stamp(self._now())
        async with self._engine.begin() as connection:
            await connection.execute(tables.web_sessions.insert().values(
                token_hash=token_hash(token), staff_id=staff.id, csrf_token=secrets.token_urlsafe(32),
                created_at=now, last_seen_at=now))
        return token

    async def find(self, token: str, touch: bool = True) -> Optional[SignIn]:
        """The live sign-in of ``token``; an expired one is revoked on the way. ``touch``: this is
        the staff member's activity (a page, an action), which keeps the sign-in from going idle."""
        columns, staff = tables.web_sessions.c, tables.staff.c
        query = (sa.select(columns.token_hash, columns.csrf_token, columns.created_at, columns.last_seen_at,
                           columns.staff_id.label("id"), staff.login, staff.display_name, staff.role,
                           staff.kf_account, staff.active)
                 .select_from(tables.web_sessions.join(tables.staff, staff.id == columns.staff_id))
                 .where(columns.token_hash == token_hash(token), columns.revoked_at.is_(None)))
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            return None
        now = self._now()
        if self._expired(row, now) or not row["active"]:
            await self.end(row["token_hash"], row["id"], "sign_in_expired")
            return None
        if touch and now - instant(row["last_seen_at"]) >= TOUCH_EVERY:
            await self._touch(row["token_hash"], now)
        return SignIn(row["token_hash"], Staff.from_row(row), row["csrf_token"])

    async def end(self, hashed: str, staff_id: int, action: str = "sign_out") -> None:
        now = self._now()
        async with self._engine.begin() as connection:
            await connection.execute(tables.web_sessions.update()
                                     .where(tables.web_sessions.c.token_hash == hashed,
                                            tables.web_sessions.c.revoked_at.is_(None))
                                     .values(revoked_at=stamp(now)))
            await audit.record(connection, now, action, audit.staff_target(staff_id), staff_id)

    async def throttled(self, login: str) -> bool:
        """Whether ``login`` failed too often lately to be tried at all."""
        columns = tables.audit.c
        query = sa.select(sa.func.count()).select_from(tables.audit).where(
            columns.action == "sign_in_failed", columns.target == f"login:{login[:58]}",
            columns.at >= stamp(self._now() - FAILURE_WINDOW))
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one()) >= MAX_FAILURES

    def _expired(self, row: Mapping[str, Any], now: datetime) -> bool:
        started, seen = instant(row["created_at"]), instant(row["last_seen_at"])
        return now >= started + self._settings.session_lifetime or now >= seen + self._settings.idle_lifetime

    async def _touch(self, hashed: str, now: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(tables.web_sessions.update().where(tables.web_sessions.c.token_hash == hashed)
                                     .values(last_seen_at=stamp(now)))
