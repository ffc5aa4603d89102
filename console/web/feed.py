"""Changes to conversations, noticed from the database itself and fanned out to the open pages.

Citizen messages are written by another process (the channel), so the console cannot rely on
in-process events: every ``interval`` (0.2 s) one query reads the highest id of the messages and
of the audit log (every move of a session writes an audit row), and when either grew, the new
rows say which conversations changed. Polling costs one tiny indexed query per interval whatever
the number of pages open. Ids that PostgreSQL commits out of order may be passed over; the pages
then catch up at the next change, and every action re-reads the database anyway.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import FrozenSet, Iterator, Optional, Set, Tuple

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
        self._marks: Optional[Tuple[int, int]] = None  # highest message id, highest audit id seen

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
        """One round: publishes and returns what changed since the last round (None: nothing)."""
        async with self._engine.connect() as connection:
            marks = await _highest_ids(connection)
            if self._marks is None or marks == self._marks:
                self._marks = marks
                return None
            change = await _changes(connection, self._marks, marks)
        self._marks = marks
        if change.session_ids:
            for queue in list(self._subscribers):
                _offer(queue, change)
        return change


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


async def _changes(connection: AsyncConnection, before: Tuple[int, int], now: Tuple[int, int]) -> Change:
    messages, audit = tables.messages.c, tables.audit.c
    written = await connection.execute(sa.select(messages.session_id).distinct()
                                       .where(messages.id > before[0], messages.id <= now[0]))
    moved = await connection.execute(sa.select(audit.target).distinct().where(
        audit.id > before[1], audit.id <= now[1], audit.target.like(SESSION_TARGET)))
    message_ids = {row.session_id for row in written}
    moved_ids = {int(row.target.split(":", 1)[1]) for row in moved}
    kinds = {kind for kind, ids in (("message", message_ids), ("session", moved_ids)) if ids}
    return Change(frozenset(message_ids | moved_ids), frozenset(kinds))
