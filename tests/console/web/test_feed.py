"""The change feed on PostgreSQL, whose ids are handed out at insert and may commit out of order:
a message that becomes visible after a later one is still reported, once."""
from __future__ import annotations

import pytest

from console import tables
from console.messages import Direction
from console.web.feed import ChangeFeed
from tests.console.web.conftest import OPENID

pytestmark = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)


def _message(session_id: int, text: str) -> dict:
    return {"session_id": session_id, "seq": 1, "direction": "citizen", "kind": "text", "text": text,
            "created_at": "2026-11-25T10:00:00+08:00"}


async def test_a_message_committed_after_a_later_one_is_reported_once(engine, sessions, transcripts):
    early = await sessions.open("wechat", f"{OPENID}1", "user_request")
    late = await sessions.open("wechat", f"{OPENID}2", "user_request")
    feed = ChangeFeed(engine)
    assert await feed.poll() is None  # learns where the tables stand
    async with engine.connect() as slow_writer:
        transaction = await slow_writer.begin()
        await slow_writer.execute(tables.messages.insert().values(**_message(early.id, "先插入，后提交")))
        await transcripts.add(late.id, Direction.CITIZEN, text="后插入，先提交")  # a higher id, committed first
        change = await feed.poll()
        assert change is not None and change.session_ids == {late.id} and change.kinds == {"message"}
        await transaction.commit()
    change = await feed.poll()
    assert change is not None and change.session_ids == {early.id} and change.kinds == {"message"}
    assert await feed.poll() is None


async def test_nothing_new_is_nothing_and_a_move_is_a_session_change(engine, sessions, team):
    session = await sessions.open("wechat", OPENID, "user_request")
    feed = ChangeFeed(engine)
    assert await feed.poll() is None and await feed.poll() is None
    await sessions.claim(session.id, team.wang)
    change = await feed.poll()
    assert change is not None and change.session_ids == {session.id} and change.kinds == {"session"}
