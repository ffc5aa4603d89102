"""Handoff sessions on the database: every move of ``console.handoff.TRANSITIONS``, atomically.

A move reads the session, asks the transition table where the action leads (an illegal move
raises before anything is written), then writes with a conditional ``UPDATE … WHERE state = <the
state read> AND assigned_staff_id IS <the one read>``: when someone else moved it meanwhile (two
staff claiming the same conversation at once) no row matches, ``Conflict`` is raised and the
transaction, audit row included, is rolled back. Exactly one claim wins, on SQLite (whose writers
are serialised) and on PostgreSQL (whose second UPDATE waits for the first and then finds the
state changed) alike. Every move writes its audit row in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, List, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console import audit, messages, tables, waits
from console.delivery import Allowance, DeliveryWindow, as_counted, delivery_window
from console.handoff import (
    STAFF_ACTIONS,
    Action,
    Conflict,
    HandoffError,
    NotAssigned,
    State,
    Undeliverable,
    UnknownSession,
    next_state,
)
from console.hours import StaffHours
from console.messages import Direction, Message
from console.staff import Staff
from console.timestamps import instant, read, stamp
from govbot.clock import china_now
from govbot.logmask import mask_openid

ENDING = {Action.CLOSE, Action.HAND_BACK}


@dataclass(frozen=True)
class Session:
    id: int
    channel: str
    sender_id: str
    reason: str
    service_item: Optional[str]
    state: State
    assigned_staff_id: Optional[int]
    created_at: datetime
    claimed_at: Optional[datetime]
    closed_at: Optional[datetime]
    last_citizen_at: Optional[datetime]
    last_seq: int
    closing_note: Optional[str]
    rating_asked: bool

    @property
    def masked_sender(self) -> str:
        """The citizen as the queue shows them: tells conversations apart, cannot address one."""
        return mask_openid(self.sender_id)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Session":
        return cls(row["id"], row["channel"], row["sender_id"], row["reason"], row["service_item"],
                   State(row["state"]), row["assigned_staff_id"], instant(row["created_at"]),
                   read(row["claimed_at"]), read(row["closed_at"]), read(row["last_citizen_at"]), row["last_seq"],
                   row["closing_note"], bool(row["rating_asked"]))


@dataclass(frozen=True)
class Ticket:
    session_id: int
    due_day: date  # the working day staff take it up
    created_at: datetime
    done_at: Optional[datetime]


class Sessions:
    def __init__(self, engine: AsyncEngine, hours: StaffHours, now: Callable[[], datetime] = china_now):
        self._engine = engine
        self._hours = hours
        self._now = now

    # --- the citizen's side ------------------------------------------------------------

    async def open(self, channel: str, sender_id: str, reason: str, service_item: Optional[str] = None) -> Session:
        """The citizen's conversation handed to staff: waiting in staff hours, else a ticket for
        the next opening. A citizen already with staff keeps that session (asking twice is once)."""
        now = self._now()
        action = Action.ESCALATE if self._hours.is_open(now) else Action.LEAVE_MESSAGE
        state = next_state(State.BOT, action)
        try:
            async with self._engine.begin() as connection:
                existing = await _active(connection, channel, sender_id)
                if existing is not None:
                    return existing
                result = await connection.execute(tables.sessions.insert().values(
                    channel=channel, sender_id=sender_id, reason=reason, service_item=service_item, state=state.value,
                    created_at=stamp(now), last_seq=0, rating_asked=False))
                session_id = result.inserted_primary_key[0]
                await self._follow_tickets(connection, session_id, State.BOT, state, now)
                await audit.record(connection, now, action.value, audit.session_target(session_id), None,
                                   {"channel": channel, "reason": reason})
                return await _load(connection, session_id)
        except sa.exc.IntegrityError:  # the same citizen's other request committed first
            async with self._engine.connect() as connection:
                existing = await _active(connection, channel, sender_id)
            if existing is None:
                raise
            return existing

    async def withdraw(self, session_id: int) -> Session:
        return await self._move(session_id, Action.WITHDRAW, None)

    async def defer(self, session_id: int, actor: Optional[Staff] = None) -> Session:
        """Staff hours are over: the conversation becomes a ticket for the next opening."""
        return await self._move(session_id, Action.DEFER, actor)

    # --- staff actions -----------------------------------------------------------------

    async def claim(self, session_id: int, actor: Staff) -> Session:
        return await self._move(session_id, Action.CLAIM, actor, {"assigned_staff_id": actor.id})

    async def release(self, session_id: int, actor: Staff) -> Session:
        return await self._move(session_id, Action.RELEASE, actor, {"assigned_staff_id": None})

    async def transfer(self, session_id: int, actor: Staff, to_staff_id: int) -> Session:
        return await self._move(session_id, Action.TRANSFER, actor, {"assigned_staff_id": to_staff_id},
                                {"to": to_staff_id})

    async def close(self, session_id: int, actor: Staff, note: Optional[str] = None,
                    ask_rating: bool = False) -> Session:
        return await self._move(session_id, Action.CLOSE, actor, {"closing_note": note, "rating_asked": ask_rating},
                                {"ask_rating": ask_rating})

    async def hand_back(self, session_id: int, actor: Staff, ask_rating: bool = False) -> Session:
        return await self._move(session_id, Action.HAND_BACK, actor, {"rating_asked": ask_rating},
                                {"ask_rating": ask_rating})

    async def reply(self, session_id: int, actor: Staff, text: str, allowance: Optional[Allowance] = None,
                    channel_sends: bool = True) -> Message:
        """Stores a staff reply, once the staff member may send it and WeChat still delivers it:
        as the channel counts (``allowance``, ``channel_sends``: what staff were shown), else as
        the transcript says; the caller then sends it through the connector's output."""
        now = self._now()
        async with self._engine.begin() as connection:
            session = await _load(connection, session_id)
            stored = await _as_stored(connection, actor)
            if stored is None or not stored.active or session.state is not State.WITH_STAFF \
                    or session.assigned_staff_id != actor.id:
                raise NotAssigned(f"session {session_id} is not with {actor.login}")
            window = as_counted(await _window(connection, session, now), allowance, now, channel_sends)
            if window.why_not is not None:
                raise Undeliverable(window.why_not)
            message = await messages.append(connection, session_id, now, Direction.STAFF, text=text,
                                            staff_id=actor.id)
            await audit.record(connection, now, "reply", audit.session_target(session_id), actor.id,
                               {"seq": message.seq})
            return message

    # --- reading -----------------------------------------------------------------------

    async def get(self, session_id: int) -> Session:
        async with self._engine.connect() as connection:
            return await _load(connection, session_id)

    async def active(self, channel: str, sender_id: str) -> Optional[Session]:
        """The citizen's conversation with staff, if one is going on (the bot stays silent then)."""
        async with self._engine.connect() as connection:
            return await _active(connection, channel, sender_id)

    async def in_state(self, state: State) -> List[Session]:
        """Oldest first: the queue when ``state`` is waiting."""
        query = sa.select(tables.sessions).where(tables.sessions.c.state == State(state).value)
        async with self._engine.connect() as connection:
            rows = await connection.execute(query.order_by(tables.sessions.c.id))
            return [Session.from_row(row) for row in rows.mappings()]

    async def tickets(self, session_id: int) -> List[Ticket]:
        query = (sa.select(tables.tickets).where(tables.tickets.c.session_id == session_id)
                 .order_by(tables.tickets.c.id))
        async with self._engine.connect() as connection:
            return [Ticket(row["session_id"], date.fromisoformat(row["due_day"]),
                           instant(row["created_at"]), read(row["done_at"]))
                    for row in (await connection.execute(query)).mappings()]

    async def expected_wait(self, places: int) -> timedelta:
        """What a citizen at ``places`` in the queue (1: next) is told to expect (``waits``)."""
        return await waits.expected_wait(self._engine, self._now(), places)

    async def delivery(self, session_id: int) -> DeliveryWindow:
        async with self._engine.connect() as connection:
            return await _window(connection, await _load(connection, session_id), self._now())

    # --- the one way a session moves ---------------------------------------------------

    async def _move(self, session_id: int, action: Action, actor: Optional[Staff],
                    changes: Optional[Dict[str, Any]] = None, details: Optional[Dict[str, Any]] = None) -> Session:
        async with self._engine.begin() as connection:
            current = await _load(connection, session_id)
            target = next_state(current.state, action)
            if action in STAFF_ACTIONS:
                _check_actor(current, action, await _as_stored(connection, actor))
            if action is Action.TRANSFER and changes:
                await _check_colleague(connection, changes["assigned_staff_id"])
            now = self._now()
            values = {"state": target.value, **_stamps(action, now), **(changes or {})}
            columns = tables.sessions.c
            guard = sa.and_(columns.id == session_id, columns.state == current.state.value,
                            columns.assigned_staff_id.is_(None) if current.assigned_staff_id is None
                            else columns.assigned_staff_id == current.assigned_staff_id)
            if (await connection.execute(tables.sessions.update().where(guard).values(**values))).rowcount != 1:
                raise Conflict(current.state, action)
            await self._follow_tickets(connection, session_id, current.state, target, now)
            await audit.record(connection, now, action.value, audit.session_target(session_id),
                               actor.id if actor else None, {"from": current.state.value, **(details or {})})
            return await _load(connection, session_id)

    async def _follow_tickets(self, connection: AsyncConnection, session_id: int, before: State, after: State,
                              now: datetime) -> None:
        """A conversation becoming a ticket gets one, due at the next opening; leaving it ends it."""
        if before is State.TICKET and after is not State.TICKET:
            open_ticket = sa.and_(tables.tickets.c.session_id == session_id, tables.tickets.c.done_at.is_(None))
            await connection.execute(tables.tickets.update().where(open_ticket).values(done_at=stamp(now)))
        if after is State.TICKET and before is not State.TICKET:
            due = self._hours.next_opening(now).date()
            await connection.execute(tables.tickets.insert().values(
                session_id=session_id, due_day=due.isoformat(), created_at=stamp(now)))


def _stamps(action: Action, now: datetime) -> Dict[str, Optional[str]]:
    if action is Action.CLAIM:
        return {"claimed_at": stamp(now)}
    if action is Action.RELEASE or action is Action.DEFER:
        return {"claimed_at": None, "assigned_staff_id": None}
    return {"closed_at": stamp(now)} if action in ENDING else {}


async def _as_stored(connection: AsyncConnection, actor: Optional[Staff]) -> Optional[Staff]:
    """The actor as the database has them now: an account disabled (or demoted) since sign-in
    acts no more (or as what it is now)."""
    if actor is None:
        return None
    row = (await connection.execute(sa.select(tables.staff).where(tables.staff.c.id == actor.id))).mappings().first()
    return Staff.from_row(row) if row is not None else None


def _check_actor(session: Session, action: Action, actor: Optional[Staff]) -> None:
    """Staff actions need an active staff member; on a conversation someone holds, that one or a
    supervisor (who may release, transfer or close a colleague's)."""
    if actor is None or not actor.active:
        raise HandoffError(f"{action.value} needs an active staff member")
    held = session.assigned_staff_id
    if held is not None and held != actor.id and not actor.is_supervisor:
        raise NotAssigned(f"session {session.id} is with another staff member")


async def _check_colleague(connection: AsyncConnection, staff_id: int) -> None:
    columns = tables.staff.c
    found = await connection.execute(sa.select(columns.id).where(columns.id == staff_id, columns.active.is_(True)))
    if found.first() is None:
        raise HandoffError(f"no active staff member {staff_id} to transfer to")


async def _load(connection: AsyncConnection, session_id: int) -> Session:
    row = (await connection.execute(sa.select(tables.sessions).where(tables.sessions.c.id == session_id))
           ).mappings().first()
    if row is None:
        raise UnknownSession(session_id)
    return Session.from_row(row)


async def _active(connection: AsyncConnection, channel: str, sender_id: str) -> Optional[Session]:
    columns = tables.sessions.c
    query = sa.select(tables.sessions).where(columns.channel == channel, columns.sender_id == sender_id,
                                             tables.ACTIVE)
    row = (await connection.execute(query)).mappings().first()
    return Session.from_row(row) if row is not None else None


async def _window(connection: AsyncConnection, session: Session, now: datetime) -> DeliveryWindow:
    return delivery_window(session.last_citizen_at, now, await messages.sent_since_citizen(connection, session.id))
