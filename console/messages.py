"""A handed-over conversation's messages, in the order they happened, kept in SQL.

Each message takes the next ``seq`` of its session by bumping the session's ``last_seq`` in the
same transaction: the bump locks the session's row (PostgreSQL) or the database (SQLite's
``BEGIN IMMEDIATE``), so two writers can never take the same number or commit out of order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Callable, List, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console import tables
from console.handoff import UnknownSession
from console.timestamps import instant, stamp
from govbot.clock import china_now


class Direction(str, Enum):
    CITIZEN = "citizen"
    STAFF = "staff"
    BOT = "bot"
    SYSTEM = "system"  # a note in the transcript (claimed by…, handed back…), not sent to anyone


class Kind(str, Enum):
    TEXT = "text"
    VOICE = "voice"  # text: WeChat's recognition of it
    IMAGE = "image"  # media_id: WeChat's id of the picture; text: a note
    FILE = "file"


@dataclass(frozen=True)
class Message:
    session_id: int
    seq: int
    direction: Direction
    kind: Kind
    text: Optional[str]
    media_id: Optional[str]
    staff_id: Optional[int]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Message":
        return cls(row["session_id"], row["seq"], Direction(row["direction"]), Kind(row["kind"]), row["text"],
                   row["media_id"], row["staff_id"], instant(row["created_at"]))


async def append(connection: AsyncConnection, session_id: int, at: datetime, direction: Direction,
                 kind: Kind = Kind.TEXT, text: Optional[str] = None, media_id: Optional[str] = None,
                 staff_id: Optional[int] = None, source_key: Optional[str] = None) -> Message:
    """Adds a message at the end of the session on ``connection``'s transaction; a citizen's
    message also reopens WeChat's reply window (``last_citizen_at``). A message whose
    ``source_key`` (the channel's MsgId) is stored already is that message, not a new one."""
    direction, kind = Direction(direction), Kind(kind)
    if source_key is not None:
        columns = tables.messages.c
        found = (await connection.execute(sa.select(tables.messages).where(
            columns.session_id == session_id, columns.source_key == source_key))).mappings().first()
        if found is not None:
            return Message.from_row(found)
    bump: dict = {"last_seq": tables.sessions.c.last_seq + 1}
    if direction is Direction.CITIZEN:
        bump["last_citizen_at"] = stamp(at)
    by_id = tables.sessions.c.id == session_id
    if (await connection.execute(tables.sessions.update().where(by_id).values(**bump))).rowcount != 1:
        raise UnknownSession(session_id)
    seq = (await connection.execute(sa.select(tables.sessions.c.last_seq).where(by_id))).scalar_one()
    message = Message(session_id, seq, direction, kind, text, media_id, staff_id, at)
    await connection.execute(tables.messages.insert().values(
        session_id=session_id, seq=seq, direction=direction.value, kind=kind.value, text=text, media_id=media_id,
        staff_id=staff_id, created_at=stamp(at), source_key=source_key))
    return message


async def sent_since_citizen(connection: AsyncConnection, session_id: int) -> int:
    """Staff messages after the citizen's last one: what they spent of WeChat's per-message quota."""
    columns = tables.messages.c
    last = (sa.select(sa.func.coalesce(sa.func.max(columns.seq), 0))
            .where(columns.session_id == session_id, columns.direction == Direction.CITIZEN.value)
            .scalar_subquery())
    query = sa.select(sa.func.count()).select_from(tables.messages).where(
        columns.session_id == session_id, columns.direction == Direction.STAFF.value, columns.seq > last)
    return int((await connection.execute(query)).scalar_one())


class Transcripts:
    """Messages of the citizen, the bot and the system; staff replies go through
    ``Sessions.reply``, which checks who may send and whether WeChat still delivers."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime] = china_now):
        self._engine = engine
        self._now = now

    async def add(self, session_id: int, direction: Direction, kind: Kind = Kind.TEXT, text: Optional[str] = None,
                  media_id: Optional[str] = None, source_key: Optional[str] = None) -> Message:
        """``source_key``: the channel's key of the message (WeChat's MsgId), so that a message
        delivered again (WeChat's retries, a turn taken over) is stored once."""
        if Direction(direction) is Direction.STAFF:
            raise ValueError("staff replies go through Sessions.reply")
        async with self._engine.begin() as connection:
            return await append(connection, session_id, self._now(), direction, kind, text, media_id,
                                source_key=source_key)

    async def of(self, session_id: int) -> List[Message]:
        query = (sa.select(tables.messages).where(tables.messages.c.session_id == session_id)
                 .order_by(tables.messages.c.seq))
        async with self._engine.connect() as connection:
            return [Message.from_row(row) for row in (await connection.execute(query)).mappings()]
