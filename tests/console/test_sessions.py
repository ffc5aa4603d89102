"""Handoff sessions on SQLite and PostgreSQL: every legal move, every illegal one refused with
nothing changed, who may act, tickets outside staff hours, and the audit row of each move."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Awaitable, Callable, Dict, List

import pytest
import sqlalchemy as sa

from console import audit, tables
from console.handoff import TRANSITIONS, Action, HandoffError, IllegalTransition, NotAssigned, State
from console.messages import Direction
from console.sessions import Session, Sessions
from govbot.clock import CHINA_TZ

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
Move = Callable[[Sessions, int, Any], Awaitable[Session]]  # (sessions, session id, the team)

MOVES: Dict[Action, Move] = {
    Action.CLAIM: lambda s, i, t: s.claim(i, t.wang),
    Action.RELEASE: lambda s, i, t: s.release(i, t.wang),
    Action.TRANSFER: lambda s, i, t: s.transfer(i, t.wang, t.li.id),
    Action.CLOSE: lambda s, i, t: s.close(i, t.wang, note="已电话联系"),
    Action.HAND_BACK: lambda s, i, t: s.hand_back(i, t.wang, ask_rating=True),
    Action.WITHDRAW: lambda s, i, t: s.withdraw(i),
    Action.DEFER: lambda s, i, t: s.defer(i),
}
# How to bring a fresh (waiting) session into each state, by legal moves only.
PATHS: Dict[State, List[Action]] = {
    State.WAITING: [],
    State.WITH_STAFF: [Action.CLAIM],
    State.TICKET: [Action.DEFER],
    State.CLOSED: [Action.CLAIM, Action.CLOSE],
    State.BOT: [Action.CLAIM, Action.HAND_BACK],
}


async def in_state(sessions: Sessions, team, state: State) -> Session:
    session = await sessions.open("wechat", OPENID, "user_request", "补办身份证")
    for action in PATHS[state]:
        session = await MOVES[action](sessions, session.id, team)
    assert session.state is state
    return session


async def snapshot(engine) -> dict:
    async with engine.connect() as connection:
        return {table.name: (await connection.execute(sa.select(table))).all()
                for table in (tables.sessions, tables.tickets, tables.audit, tables.messages)}


@pytest.mark.parametrize("state, action", [key for key in TRANSITIONS if key[0] is not State.BOT])
async def test_every_legal_move(sessions, engine, team, state, action):
    session = await in_state(sessions, team, state)
    moved = await MOVES[action](sessions, session.id, team)
    assert moved.state is TRANSITIONS[(state, action)]
    assert (await sessions.get(session.id)) == moved
    last = (await audit.entries(engine, audit.session_target(session.id)))[-1]
    assert (last.action, last.details["from"]) == (action.value, state.value)


@pytest.mark.parametrize("state", list(PATHS))
async def test_every_illegal_move_changes_nothing(sessions, engine, team, state):
    session = await in_state(sessions, team, state)
    illegal = [action for action in MOVES if (state, action) not in TRANSITIONS]
    assert illegal
    before = await snapshot(engine)
    for action in illegal:
        with pytest.raises(IllegalTransition):
            await MOVES[action](sessions, session.id, team)
    assert await snapshot(engine) == before


async def test_the_moves_keep_who_and_when(sessions, team, clock):
    session = await sessions.open("wechat", OPENID, "fallback")
    claimed = await sessions.claim(session.id, team.wang)
    assert (claimed.assigned_staff_id, claimed.claimed_at) == (team.wang.id, clock.now)
    transferred = await sessions.transfer(session.id, team.wang, team.li.id)
    assert transferred.assigned_staff_id == team.li.id
    released = await sessions.release(session.id, team.li)
    assert (released.state, released.assigned_staff_id, released.claimed_at) == (State.WAITING, None, None)
    await sessions.claim(session.id, team.li)
    closed = await sessions.close(session.id, team.li, note="已答复", ask_rating=True)
    assert (closed.closing_note, closed.rating_asked, closed.closed_at) == ("已答复", True, clock.now)
    assert (closed.reason, closed.service_item, closed.sender_id) == ("fallback", None, OPENID)
    assert closed.masked_sender == "o6_b…fL2M"


async def test_asking_twice_is_one_session_and_a_new_one_after_the_end(sessions, team):
    first = await sessions.open("wechat", OPENID, "user_request")
    assert (await sessions.open("wechat", OPENID, "fallback")).id == first.id
    assert (await sessions.open("rest", OPENID, "fallback")).id != first.id  # another channel, another sender
    await sessions.claim(first.id, team.wang)
    await sessions.hand_back(first.id, team.wang)
    assert await sessions.active("wechat", OPENID) is None
    again = await sessions.open("wechat", OPENID, "user_request")
    assert again.id != first.id and again.state is State.WAITING


async def test_an_agent_cannot_act_on_a_colleagues_conversation(sessions, engine, team):
    session = await in_state(sessions, team, State.WITH_STAFF)  # with wang
    before = await snapshot(engine)
    for move in (sessions.release(session.id, team.li), sessions.close(session.id, team.li),
                 sessions.hand_back(session.id, team.li), sessions.transfer(session.id, team.li, team.li.id)):
        with pytest.raises(NotAssigned):
            await move
    assert await snapshot(engine) == before
    taken = await sessions.transfer(session.id, team.zhao, team.li.id)  # a supervisor may
    assert taken.assigned_staff_id == team.li.id


async def test_a_transfer_needs_an_active_colleague(sessions, engine, team):
    session = await in_state(sessions, team, State.WITH_STAFF)
    async with engine.begin() as connection:
        await connection.execute(tables.staff.update().where(tables.staff.c.id == team.li.id).values(active=False))
    before = await snapshot(engine)
    for to in (team.li.id, 999):
        with pytest.raises(HandoffError):
            await sessions.transfer(session.id, team.wang, to)
    assert await snapshot(engine) == before


async def test_staff_actions_need_staff(sessions, team):
    session = await sessions.open("wechat", OPENID, "user_request")
    with pytest.raises(HandoffError):
        await sessions._move(session.id, Action.CLAIM, None)
    assert (await sessions.get(session.id)).state is State.WAITING


async def test_an_account_acts_as_it_is_now_not_as_it_was_at_sign_in(sessions, transcripts, engine, team):
    """A supervisor demoted, an agent disabled since they signed in: their old ``Staff`` no longer
    carries the rights they had."""
    held = await in_state(sessions, team, State.WITH_STAFF)  # with wang
    await transcripts.add(held.id, Direction.CITIZEN, text="在吗")
    async with engine.begin() as connection:
        staff = tables.staff
        await connection.execute(staff.update().where(staff.c.id == team.zhao.id).values(role="agent"))
        await connection.execute(staff.update().where(staff.c.id == team.wang.id).values(active=False))
    before = await snapshot(engine)
    with pytest.raises(NotAssigned):
        await sessions.transfer(held.id, team.zhao, team.li.id)
    with pytest.raises(HandoffError):
        await sessions.hand_back(held.id, team.wang)
    with pytest.raises(NotAssigned):
        await sessions.reply(held.id, team.wang, "我已被停用")
    assert await snapshot(engine) == before


@pytest.mark.parametrize("now, due", [
    (datetime(2026, 11, 25, 20, 0, tzinfo=CHINA_TZ), date(2026, 11, 26)),   # Wednesday evening: Thursday
    (datetime(2026, 11, 27, 17, 0, tzinfo=CHINA_TZ), date(2026, 11, 30)),   # Friday at closing: Monday
    (datetime(2026, 9, 30, 18, 0, tzinfo=CHINA_TZ), date(2026, 10, 8)),     # before 国庆: after the week
])
async def test_outside_staff_hours_a_request_becomes_a_ticket(sessions, engine, team, clock, now, due):
    clock.now = now
    session = await sessions.open("wechat", OPENID, "user_request")
    assert session.state is State.TICKET
    [ticket] = await sessions.tickets(session.id)
    assert (ticket.due_day, ticket.created_at, ticket.done_at) == (due, now, None)
    assert [e.action for e in await audit.entries(engine, audit.session_target(session.id))] == ["leave_message"]
    clock.now = datetime.combine(due, datetime.min.time(), CHINA_TZ).replace(hour=9, minute=5)
    await sessions.claim(session.id, team.wang)
    [ticket] = await sessions.tickets(session.id)
    assert ticket.done_at == clock.now


async def test_in_staff_hours_a_request_waits_in_the_queue(sessions, clock):
    first = await sessions.open("wechat", OPENID, "user_request")
    second = await sessions.open("wechat", OPENID + "2", "fallback")
    assert [s.id for s in await sessions.in_state(State.WAITING)] == [first.id, second.id]
    assert await sessions.tickets(first.id) == [] and first.created_at == clock.now
