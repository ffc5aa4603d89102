"""Two staff claiming the same waiting conversation at once: exactly one wins, on SQLite and
PostgreSQL, and the loser changes nothing (no audit row, no assignment)."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest

from console import audit
from console import sessions as sessions_module
from console.handoff import Conflict, IllegalTransition, State
from console.sessions import Session

ROUNDS = 5


async def test_two_claims_at_once_one_wins(sessions, engine, team):
    for round_ in range(ROUNDS):
        session = await sessions.open("wechat", f"openid-{round_}", "user_request")
        results = await asyncio.gather(sessions.claim(session.id, team.wang), sessions.claim(session.id, team.li),
                                       return_exceptions=True)
        won = [r for r in results if isinstance(r, Session)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], IllegalTransition), results
        stored = await sessions.get(session.id)
        assert stored.state is State.WITH_STAFF and stored.assigned_staff_id == won[0].assigned_staff_id
        claims = [e for e in await audit.entries(engine, audit.session_target(session.id)) if e.action == "claim"]
        assert [e.staff_id for e in claims] == [won[0].assigned_staff_id]


async def test_a_claim_on_a_stale_read_loses_to_the_conditional_update(sessions, engine, team, monkeypatch):
    """The read-then-write gap made certain: the second claim reads the session as it was before
    the first claim committed; only the UPDATE's condition on the state stops it."""
    session = await sessions.open("wechat", "openid-stale", "user_request")
    load = sessions_module._load

    async def stale_load(connection, session_id):
        return dataclasses.replace(await load(connection, session_id), state=State.WAITING, assigned_staff_id=None)

    await sessions.claim(session.id, team.wang)
    monkeypatch.setattr(sessions_module, "_load", stale_load)
    with pytest.raises(Conflict):
        await sessions.claim(session.id, team.li)
    monkeypatch.undo()
    stored = await sessions.get(session.id)
    assert (stored.state, stored.assigned_staff_id) == (State.WITH_STAFF, team.wang.id)
    claims = [e.staff_id for e in await audit.entries(engine, audit.session_target(session.id))
              if e.action == "claim"]
    assert claims == [team.wang.id]


async def test_the_same_citizen_asking_twice_at_once_gets_one_session(sessions):
    opened = await asyncio.gather(*(sessions.open("wechat", "openid-twice", "user_request") for _ in range(4)))
    assert len({s.id for s in opened}) == 1
    assert len(await sessions.in_state(State.WAITING)) == 1
