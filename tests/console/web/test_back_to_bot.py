"""Handing back and closing give the conversation to the bot again (``Bot.resume``) and tell the
citizen through the sender, with the 好差评 question when staff ask for it; a bot that does not
take it back is told to staff and audited."""
from __future__ import annotations

from console import audit
from console.messages import Direction
from console.web.moves import ASK_RATING, BACK_TO_BOT
from tests.console.web.conftest import OPENID, notice


async def _held(desk, sessions, transcripts, openid):
    session = await sessions.open("wechat", openid, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="转人工")
    wang = await desk("wang")
    assert notice(await wang.post(f"/conversations/{session.id}/claim")) == "claimed"
    return wang, session


async def test_hand_back_resumes_the_bot_and_tells_the_citizen(desk, sessions, transcripts, sender, bot, team):
    wang, session = await _held(desk, sessions, transcripts, OPENID)
    assert notice(await wang.post(f"/conversations/{session.id}/hand_back", {"ask_rating": "on"})) == "handed_back"
    assert bot.resumed == [OPENID]
    assert sender.sent == [("wechat", OPENID, f"{BACK_TO_BOT['hand_back']}\n{ASK_RATING}", None)]


async def test_close_resumes_the_bot_too(desk, sessions, transcripts, sender, bot, team):
    wang, session = await _held(desk, sessions, transcripts, OPENID)
    assert notice(await wang.post(f"/conversations/{session.id}/close", {"note": "已解答"})) == "closed"
    assert bot.resumed == [OPENID] and sender.sent == [("wechat", OPENID, BACK_TO_BOT["close"], None)]


async def test_a_bot_that_does_not_take_it_back_is_told_to_staff(desk, sessions, transcripts, sender, bot, engine,
                                                                 team):
    async def refuse(sender_id: str) -> None:
        raise OSError("connection refused")
    bot.resume = refuse
    wang, session = await _held(desk, sessions, transcripts, OPENID)
    assert notice(await wang.post(f"/conversations/{session.id}/hand_back")) == "not_resumed"
    assert sender.sent == []
    assert [e.action for e in await audit.entries(engine, audit.session_target(session.id))][-1] == "resume_failed"
