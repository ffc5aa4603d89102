"""Changes to conversations, noticed from the database itself and fanned out to the open pages.

Citizen messages are written by another process (the channel), so the console cannot rely on
in-process events: every ``interval`` (0.2 s) it reads the messages and the session moves (every
move writes an audit row) whose ids lie above ``LOOKBACK`` ids below the highest seen, and
reports those not seen before. The look-back is there because PostgreSQL hands out ids when a row
is inserted, not when it commits: a message with id 10 may become visible after id 11, and a
feed that only followed the highest id would pass it over. Each round is two small indexed range
queries, whatever the number of pages open.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, Optional, Set, Tuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console import tables

logger = logging.getLogger(__name__)
SESSION_TARGET = "session:%"


@dataclass(frozen=True)
class Change:
    session_ids: FrozenSet[int]
    kinds: FrozenSet[str]  # "message" (a new message), "session" (a move: claim, transfer, new…)




class ChangeFeed:
    def __init__(self, engine: AsyncEngine, interval: float = 0.2):
        self._engine = engine
        self._interval = interval
        self._subscribers: Set["asyncio.Queue[Optional[Change]]"] = set()
        self._windows: Optional[Tuple["_Window", "_Window"]] = None  # messages, session moves

    @contextmanager
    def subscribe(self) -> Iterator["asyncio.Queue[Optional[Change]]"]:
        queue: "asyncio.Queue[Optional[Change]]" = asyncio.Queue(maxsize=100)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def close(self) -> None:
        """Ends every subscriber's stream (at shutdown)."""
        for queue in self._subscribers:
            _offer(queue, None)

    async def run(self) -> None:
        """Polls until cancelled; a failed round (the database restarting) is logged and retried."""
        while True:
            try:
                await self.poll()
            except Exception:  # noqa: BLE001 - the feed must outlive a database hiccup
                logger.exception("console change feed: poll failed")
            await asyncio.sleep(self._interval)

    async def poll(self) -> Optional[Change]:
        """One round: publishes and returns what changed since the last round (None: nothing; the
        first round only learns where the tables stand)."""
        async with self._engine.connect() as connection:
            first = self._windows is None
            if self._windows is None:
                highest = await _highest_ids(connection)
                self._windows = (_Window(highest[0]), _Window(highest[1]))
            messages, moves = self._windows
            written = messages.take(await _recent_messages(connection, messages.floor))
            moved = moves.take(await _recent_moves(connection, moves.floor))
        if first or not (written or moved):
            return None
        kinds = {kind for kind, ids in (("message", written), ("session", moved)) if ids}
        change = Change(frozenset(written | moved), frozenset(kinds))
        for queue in list(self._subscribers):
            _offer(queue, change)
        return change


LOOKBACK = 200  # ids below the highest seen that may still commit (concurrent writers)


@dataclass
class _Window:
    """One table's recent rows this feed has seen: those above ``LOOKBACK`` ids below the highest."""

    highest: int
    seen: Dict[int, int] = field(default_factory=dict)  # row id -> session id

    @property
    def floor(self) -> int:
        return self.highest - LOOKBACK

    def take(self, rows: Dict[int, int]) -> Set[int]:
        """The sessions of the rows not seen before, which are remembered from now on."""
        new = {session for row, session in rows.items() if row not in self.seen}
        self.highest = max([self.highest, *rows])
        self.seen = {row: session for row, session in {**self.seen, **rows}.items() if row > self.floor}
        return new


def _offer(queue: "asyncio.Queue[Optional[Change]]", item: Optional[Change]) -> None:
    """A page too slow to read its changes loses the oldest: the next change refreshes it anyway."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


async def _highest_ids(connection: AsyncConnection) -> Tuple[int, int]:
    highest = sa.select(sa.select(sa.func.coalesce(sa.func.max(tables.messages.c.id), 0)).scalar_subquery(),
                        sa.select(sa.func.coalesce(sa.func.max(tables.audit.c.id), 0)).scalar_subquery())
    row = (await connection.execute(highest)).one()
    return int(row[0]), int(row[1])


async def _recent_messages(connection: AsyncConnection, floor: int) -> Dict[int, int]:
    messages = tables.messages.c
    rows = await connection.execute(sa.select(messages.id, messages.session_id).where(messages.id > floor))
    return {row.id: row.session_id for row in rows}


async def _recent_moves(connection: AsyncConnection, floor: int) -> Dict[int, int]:
    audit = tables.audit.c
    rows = await connection.execute(sa.select(audit.id, audit.target).where(
        audit.id > floor, audit.target.like(SESSION_TARGET)))
    return {row.id: int(row.target.split(":", 1)[1]) for row in rows}
