"""Messages in order and durable: seq 1, 2, 3… per session even when written at once, and every
message, move and audit row still there after the database is opened again."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from console import audit
from console.db import create_engine
from console.handoff import State, UnknownSession
from console.messages import Direction, Kind, Transcripts
from console.sessions import Sessions


async def test_messages_keep_their_order(sessions, transcripts, team, clock):
    session = await sessions.open("wechat", "openid-a", "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="转人工")
    clock.now += timedelta(seconds=5)
    await transcripts.add(session.id, Direction.CITIZEN, Kind.IMAGE, text="[图片]", media_id="MEDIA_1")
    await sessions.claim(session.id, team.wang)
    await sessions.reply(session.id, team.wang, "您好，我是王小明，请问有什么可以帮您？")
    await transcripts.add(session.id, Direction.CITIZEN, Kind.VOICE, text="身份证丢了怎么补办")
    found = await transcripts.of(session.id)
    assert [m.seq for m in found] == [1, 2, 3, 4]
    assert [(m.direction, m.kind) for m in found] == [
        (Direction.CITIZEN, Kind.TEXT), (Direction.CITIZEN, Kind.IMAGE), (Direction.STAFF, Kind.TEXT),
        (Direction.CITIZEN, Kind.VOICE)]
    assert found[1].media_id == "MEDIA_1" and found[2].staff_id == team.wang.id
    assert (await sessions.get(session.id)).last_citizen_at == clock.now


async def test_messages_written_at_once_take_distinct_consecutive_numbers(sessions, transcripts):
    first = await sessions.open("wechat", "openid-a", "user_request")
    second = await sessions.open("wechat", "openid-b", "user_request")
    writes = [transcripts.add(s.id, Direction.CITIZEN, text=f"{s.id}-{n}") for n in range(10) for s in (first, second)]
    await asyncio.gather(*writes)
    for session in (first, second):
        found = await transcripts.of(session.id)
        assert [m.seq for m in found] == list(range(1, 11))
        assert sorted(int(m.text.split("-")[1]) for m in found) == list(range(10))


async def test_a_message_to_no_session_is_refused(transcripts):
    with pytest.raises(UnknownSession):
        await transcripts.add(404, Direction.CITIZEN, text="在吗")


async def test_staff_replies_go_through_the_session(transcripts, sessions):
    session = await sessions.open("wechat", "openid-a", "user_request")
    with pytest.raises(ValueError):
        await transcripts.add(session.id, Direction.STAFF, text="绕过检查")


async def test_everything_is_there_after_reopening(database_url, engine, sessions, transcripts, team, hours, clock):
    session = await sessions.open("wechat", "openid-a", "user_request", "补办身份证")
    await transcripts.add(session.id, Direction.CITIZEN, text="我的身份证丢了")
    await sessions.claim(session.id, team.wang)
    await sessions.reply(session.id, team.wang, "请带户口簿到派出所补办")
    await sessions.hand_back(session.id, team.wang, ask_rating=True)
    await engine.dispose()

    reopened = create_engine(database_url)
    try:
        again = await Sessions(reopened, hours, clock).get(session.id)
        found = await Transcripts(reopened, clock).of(session.id)
        log = await audit.entries(reopened, audit.session_target(session.id))
    finally:
        await reopened.dispose()
    assert (again.state, again.rating_asked, again.service_item) == (State.BOT, True, "补办身份证")
    assert [(m.seq, m.text) for m in found] == [(1, "我的身份证丢了"), (2, "请带户口簿到派出所补办")]
    assert [e.action for e in log] == ["escalate", "claim", "reply", "hand_back"]
