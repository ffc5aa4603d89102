"""Contact handles: the bot reuses a citizen's earlier contact without ever holding it.

The contact endpoint gives the bot a masked name and phone plus a random handle; a booking
may carry the handle instead of name and phone. Only the handle's SHA-256 is stored, bound
to the openid it was issued for and to the booking whose contact it stands for, and it
expires (``PortalSettings.contact_handle_seconds``).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import tables


def _digest(handle: str) -> str:
    return hashlib.sha256(handle.encode()).hexdigest()


class ContactHandles:
    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime], lifetime_seconds: float):
        self._engine = engine
        self._now = now
        self._lifetime = lifetime_seconds

    async def issue(self, openid: str, booking_no: str) -> str:
        handle = secrets.token_urlsafe(24)
        now = self._now().timestamp()
        h = tables.contact_handles
        async with self._engine.begin() as conn:
            await conn.execute(h.delete().where(h.c.expires_at < now))
            await conn.execute(h.insert().values(digest=_digest(handle), openid=openid, booking_no=booking_no,
                                                 expires_at=now + self._lifetime))
        return handle

    async def booking_of(self, handle: str, openid: str) -> Optional[str]:
        """The booking whose contact ``handle`` stands for, if it is this openid's and still valid."""
        h = tables.contact_handles
        async with self._engine.connect() as conn:
            return await conn.scalar(sa.select(h.c.booking_no).where(
                h.c.digest == _digest(handle), h.c.openid == openid, h.c.expires_at >= self._now().timestamp()))
