"""Agents see personal data masked (the openid shortened, phone and ID numbers in messages);
supervisors, who may search by them, see them whole."""
from __future__ import annotations

from console.messages import Direction
from tests.console.web.conftest import OPENID

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"
TEXT = f"我叫王小明，手机{PHONE}，身份证{ID_NUMBER}"


async def test_agents_never_get_personal_data_in_the_html(desk, sessions, transcripts):
    session = await sessions.open("wechat", OPENID, "user_request", "社保卡补办")
    await transcripts.add(session.id, Direction.CITIZEN, text=TEXT)
    wang = await desk("wang")
    pages = [await wang.page(path) for path in ("/queue", "/queue/live", f"/conversations/{session.id}",
                                                f"/conversations/{session.id}/live")]
    await wang.post(f"/conversations/{session.id}/claim")
    pages += [await wang.page("/mine"), await wang.page(f"/conversations/{session.id}")]
    for html in pages:
        assert OPENID not in html and PHONE not in html and ID_NUMBER not in html
    assert "138****5678" in pages[0] and "110105********002X" in pages[2] and "oWx3…sTuV" in pages[0]


async def test_supervisors_see_it_whole(desk, sessions, transcripts):
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text=TEXT)
    zhao = await desk("zhao")
    page = await zhao.page(f"/conversations/{session.id}")
    assert OPENID in page and PHONE in page and ID_NUMBER in page
