"""The conversation view starts with what the citizen and the bot said before the handoff (read from
Rasa once per page, masked for agents like every message); Rasa out of reach is said, not hidden."""
from __future__ import annotations

from console.messages import Direction
from console.rasa import Said
from tests.conftest import FIXED_NOW
from tests.console.web.conftest import OPENID

PHONE = "13812345678"


async def test_the_bot_s_transcript_comes_before_the_messages_kept_for_staff(desk, sessions, transcripts, bot):
    bot.said = [Said(Direction.CITIZEN, f"我的手机{PHONE}预约不了", FIXED_NOW),
                Said(Direction.BOT, "抱歉，我没太明白。", FIXED_NOW)]
    session = await sessions.open("wechat", OPENID, "fallback")
    await transcripts.add(session.id, Direction.CITIZEN, text="找个人跟我说")
    html = await (await desk("wang")).page(f"/conversations/{session.id}")
    shown = ("138****5678预约不了", "抱歉，我没太明白。", "以上为转人工前", "找个人跟我说")
    order = [html.index(text) for text in shown]
    assert order == sorted(order) and PHONE not in html
    live = await (await desk("li")).page(f"/conversations/{session.id}/live")
    assert "抱歉，我没太明白。" not in live  # the live part re-reads only the console's own messages


async def test_rasa_out_of_reach_is_said(desk, sessions, bot):
    bot.said = None
    session = await sessions.open("wechat", OPENID, "user_request")
    assert "暂时无法读取" in await (await desk("wang")).page(f"/conversations/{session.id}")
