"""The reads the pages show: lists of conversations with their latest citizen message, tickets
with their due day, colleagues, and the supervisors' search."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from console import tables
from console.handoff import ACTIVE_STATES, State
from console.messages import Direction
from console.sessions import Session
from console.staff import Staff

SEARCH_KINDS = ("openid", "phone", "booking")  # what supervisors search conversations by
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Row:
    """A conversation as a list shows it."""
    session: Session
    last_citizen_text: str
    assignee: str  # the display name of the staff member it is with, or ""
    due_day: Optional[date] = None  # tickets: the working day staff take it up


class Board:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def waiting(self) -> List[Row]:
        return await self._rows(tables.sessions.c.state == State.WAITING.value)

    async def held_by(self, staff_id: int) -> List[Row]:
        columns = tables.sessions.c
        return await self._rows(sa.and_(columns.state == State.WITH_STAFF.value,
                                        columns.assigned_staff_id == staff_id))

    async def everyone(self) -> List[Row]:
        """Every conversation going on, waiting, with staff or left as a ticket."""
        return await self._rows(tables.sessions.c.state.in_([s.value for s in ACTIVE_STATES]))

    async def tickets(self) -> List[Row]:
        rows = await self._rows(tables.sessions.c.state == State.TICKET.value)
        due = await self._due_days(row.session.id for row in rows)
        return sorted((Row(r.session, r.last_citizen_text, r.assignee, due.get(r.session.id)) for r in rows),
                      key=lambda r: (r.due_day or date.max, r.session.id))

    async def search(self, kind: str, query: str) -> List[Row]:
        """By openid (exactly), or by a phone or booking number the citizen wrote in a message."""
        query = query.strip()
        if kind not in SEARCH_KINDS or not query:
            return []
        columns = tables.sessions.c
        if kind == "openid":
            return await self._rows(columns.sender_id == query, newest_first=True)
        pattern = "%" + query.replace("\\", "").replace("%", "").replace("_", "") + "%"
        written = sa.select(tables.messages.c.session_id).where(tables.messages.c.text.like(pattern))
        return await self._rows(columns.id.in_(written), newest_first=True)

    async def colleagues(self) -> List[Staff]:
        """Active staff, whom a conversation can be transferred to."""
        query = sa.select(tables.staff).where(tables.staff.c.active.is_(True)).order_by(tables.staff.c.id)
        async with self._engine.connect() as connection:
            return [Staff.from_row(row) for row in (await connection.execute(query)).mappings()]

    async def _rows(self, where: Any, newest_first: bool = False) -> List[Row]:
        order = tables.sessions.c.id.desc() if newest_first else tables.sessions.c.id
        query = sa.select(tables.sessions, tables.staff.c.display_name.label("assignee")).select_from(
            tables.sessions.outerjoin(tables.staff, tables.staff.c.id == tables.sessions.c.assigned_staff_id)
        ).where(where).order_by(order).limit(SEARCH_LIMIT if newest_first else None)
        async with self._engine.connect() as connection:
            found = (await connection.execute(query)).mappings().all()
            texts = await _last_citizen_texts(connection, [row["id"] for row in found])
        return [Row(Session.from_row(row), texts.get(row["id"], ""), row["assignee"] or "") for row in found]

    async def _due_days(self, session_ids: Iterable[int]) -> Dict[int, date]:
        columns = tables.tickets.c
        query = sa.select(columns.session_id, columns.due_day).where(
            columns.session_id.in_(list(session_ids)), columns.done_at.is_(None))
        async with self._engine.connect() as connection:
            return {row.session_id: date.fromisoformat(row.due_day) for row in await connection.execute(query)}


async def _last_citizen_texts(connection: Any, session_ids: List[int]) -> Dict[int, str]:
    if not session_ids:
        return {}
    columns = tables.messages.c
    newest = (sa.select(columns.session_id, sa.func.max(columns.seq).label("seq"))
              .where(columns.session_id.in_(session_ids), columns.direction == Direction.CITIZEN.value)
              .group_by(columns.session_id).subquery())
    query = sa.select(columns.session_id, columns.text).join(
        newest, sa.and_(columns.session_id == newest.c.session_id, columns.seq == newest.c.seq))
    return {row.session_id: row.text or "" for row in await connection.execute(query)}
