"""What the pages show: the queue's reason, item, waiting time and last citizen message; the
conversation with its messages and quick replies; errors as Chinese pages; locally served assets
and security headers."""
from __future__ import annotations

import re
from datetime import timedelta

from console.messages import Direction
from tests.console.web.conftest import OPENID


async def test_the_queue_shows_who_waits_for_what_and_how_long(desk, sessions, transcripts, clock):
    session = await sessions.open("wechat", OPENID, "fallback", "居住证办理")
    await transcripts.add(session.id, Direction.CITIZEN, text="第一条")
    await transcripts.add(session.id, Direction.BOT, text="抱歉，我没听懂")
    await transcripts.add(session.id, Direction.CITIZEN, text="居住证要多久")
    clock.now += timedelta(minutes=7)
    wang = await desk("wang")
    page = await wang.page("/queue")
    for shown in ("连续未能理解", "居住证办理", "7 分钟", "居住证要多久", "认领", 'data-live-src="/queue/live"'):
        assert shown in page, shown
    assert "第一条" not in page


async def _claimed_by_wang(desk, sessions, transcripts, text: str):
    """A conversation with ``text`` from the citizen, claimed by wang: (wang, session, its page)."""
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text=text)
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    return wang, session, await wang.page(f"/conversations/{session.id}")


async def test_the_conversation_shows_messages_and_quick_replies(desk, sessions, transcripts):
    wang, session, page = await _claimed_by_wang(desk, sessions, transcripts, "你好，我要转人工")
    for shown in ("你好，我要转人工", "您好，我是人工客服", 'name="text"', "交还智能助手", "邀请市民进行好差评",
                  "结束会话", "退回排队", f'data-live-session="{session.id}"'):
        assert shown in page, shown


async def test_one_live_read_carries_every_part_the_conversation_page_follows(desk, sessions, transcripts):
    """The page's live regions share one source, each naming its part: one request per change."""
    wang, session, page = await _claimed_by_wang(desk, sessions, transcripts, "我要转人工")
    parts = re.findall(r'data-live-src="([^"]+)" data-live-part="(\w+)"', page)
    assert parts == [(f"/conversations/{session.id}/live", name) for name in ("messages", "status", "moves")]
    live = await wang.page(f"/conversations/{session.id}/live")
    for name, shown in (("messages", "我要转人工"), ("status", "处理中"), ("moves", "交还智能助手")):
        part = re.search(rf'<div data-part="{name}">(.*?)</div>\s*(?=<div data-part=|$)', live, re.S)
        assert part and shown in part.group(1), name


async def test_errors_are_chinese_pages_and_assets_are_local(desk):
    wang = await desk("wang")
    missing = await wang.get("/conversations/999")
    assert missing.status == 404 and "没有这个会话" in await missing.text()
    page = await wang.page("/queue")
    assert "http://" not in page.replace(wang.origin, "") and "https://" not in page
    for asset in ("/static/console.css", "/static/live.js"):
        assert (await wang.get(asset)).status == 200
    headers = (await wang.get("/queue")).headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
