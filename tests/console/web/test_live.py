"""Live updates: a message another writer puts in the database, or a colleague's claim, reaches
a connected page's event stream within a second, and the page's fragment then shows it."""
from __future__ import annotations

import time

from console.db import create_engine
from console.messages import Direction, Transcripts
from tests.console.web.conftest import OPENID
from tests.console.web.sse import change_of_kind, next_change


async def test_a_message_written_elsewhere_arrives_within_a_second(desk, sessions, database_url, clock):
    session = await sessions.open("wechat", OPENID, "user_request")
    wang = await desk("wang")
    stream = await wang.get("/events")
    assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    writer = create_engine(database_url)  # another pool, as the channel's process would have
    try:
        started = time.monotonic()
        await Transcripts(writer, clock).add(session.id, Direction.CITIZEN, text="我想问一下居住证")
        change = await change_of_kind(stream, "message", seconds=1.0)
        assert time.monotonic() - started < 1.0
    finally:
        await writer.dispose()
    assert change["sessions"] == [session.id]
    assert "我想问一下居住证" in await wang.page(f"/conversations/{session.id}/live")
    assert "我想问一下居住证" in await wang.page("/queue/live")
    stream.close()


async def test_a_colleagues_claim_reaches_the_queue(desk, sessions):
    session = await sessions.open("wechat", OPENID, "user_request")
    wang, li = await desk("wang"), await desk("li")
    stream = await wang.get("/events")
    assert f"/conversations/{session.id}/claim" in await wang.page("/queue/live")
    await li.post(f"/conversations/{session.id}/claim")
    change = await next_change(stream)
    assert change == {"sessions": [session.id], "kinds": ["session"]}
    assert "目前没有排队的市民" in await wang.page("/queue/live")
    stream.close()
