"""Every move of a conversation leaves one audit row, written with the move: who, what, on which
conversation, from which state, when; a refused move leaves none."""
from __future__ import annotations

from datetime import timedelta

import pytest

from console import audit
from console.handoff import IllegalTransition
from console.messages import Direction


async def test_a_conversations_log(sessions, transcripts, engine, team, clock):
    session = await sessions.open("wechat", "openid-a", "user_request")
    target = audit.session_target(session.id)
    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    steps = [lambda: sessions.claim(session.id, team.wang),
             lambda: sessions.reply(session.id, team.wang, "您好"),
             lambda: sessions.transfer(session.id, team.wang, team.li.id),
             lambda: sessions.release(session.id, team.zhao),
             lambda: sessions.claim(session.id, team.li),
             lambda: sessions.close(session.id, team.li, note="已解决", ask_rating=True)]
    for step in steps:
        clock.now += timedelta(minutes=1)
        await step()
    with pytest.raises(IllegalTransition):
        await sessions.claim(session.id, team.wang)
    log = await audit.entries(engine, target)
    start = log[0].at
    assert [(e.staff_id, e.action, e.details.get("from"), e.at - start) for e in log] == [
        (None, "escalate", None, timedelta(0)),
        (team.wang.id, "claim", "waiting", timedelta(minutes=1)),
        (team.wang.id, "reply", None, timedelta(minutes=2)),
        (team.wang.id, "transfer", "with_staff", timedelta(minutes=3)),
        (team.zhao.id, "release", "with_staff", timedelta(minutes=4)),
        (team.li.id, "claim", "waiting", timedelta(minutes=5)),
        (team.li.id, "close", "with_staff", timedelta(minutes=6)),
    ]
    assert log[3].details["to"] == team.li.id and log[2].details == {"seq": 2}
    assert log[-1].details["ask_rating"] is True
    assert all(e.target == target for e in log)
