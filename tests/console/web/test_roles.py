"""Roles, enforced on the server: agents handle conversations; supervisors also see everyone's,
transfer, search by personal data and edit quick replies. A refused request changes nothing."""
from __future__ import annotations

from console import audit
from console.handoff import State
from console.messages import Direction
from tests.console.web.conftest import OPENID, notice


async def test_agents_cannot_supervise(desk, sessions, engine, team):
    session = await sessions.open("wechat", OPENID, "user_request")
    await sessions.claim(session.id, team.li)
    wang = await desk("wang")
    for path in ("/everyone", "/everyone/live", "/search?by=openid&q=" + OPENID):
        assert (await wang.get(path)).status == 403, path
    before = len(await audit.entries(engine))
    assert (await wang.post(f"/conversations/{session.id}/transfer", {"to": team.wang.id})).status == 403
    assert (await wang.post("/quick-replies", {"title": "新", "text": "新回复"})).status == 403
    assert (await wang.post("/quick-replies/1/delete")).status == 403
    assert (await sessions.get(session.id)).assigned_staff_id == team.li.id
    assert len(await audit.entries(engine)) == before


async def test_agents_see_waiting_conversations_and_their_own_only(desk, sessions, team):
    waiting = await sessions.open("wechat", OPENID, "user_request")
    colleagues = await sessions.open("wechat", OPENID + "x", "user_request")
    await sessions.claim(colleagues.id, team.li)
    wang = await desk("wang")
    assert (await wang.get(f"/conversations/{waiting.id}")).status == 200
    assert (await wang.get(f"/conversations/{colleagues.id}")).status == 403
    assert (await wang.post(f"/conversations/{colleagues.id}/close")).status == 303
    assert (await sessions.get(colleagues.id)).state is State.WITH_STAFF


async def test_a_supervisor_transfers_and_searches(desk, sessions, transcripts, engine, team):
    session = await sessions.open("wechat", OPENID, "user_request", "身份证换领")
    await transcripts.add(session.id, Direction.CITIZEN, text="我的手机号是13812345678，预约号B20261125001")
    await sessions.claim(session.id, team.wang)
    zhao = await desk("zhao")
    everyone = await zhao.page("/everyone")
    assert "身份证换领" in everyone and "王小明" in everyone and "转交" in everyone
    response = await zhao.post(f"/conversations/{session.id}/transfer", {"to": team.li.id})
    assert notice(response) == "transferred" and (await sessions.get(session.id)).assigned_staff_id == team.li.id
    for by, query in (("openid", OPENID), ("phone", "13812345678"), ("booking", "B20261125001")):
        page = await zhao.page(f"/search?by={by}&q={query}")
        assert f'href="/conversations/{session.id}"' in page, by
    assert "没有找到" in await zhao.page("/search?by=phone&q=13900000000")
    searches = [e for e in await audit.entries(engine) if e.action == "search"]
    assert [e.details["by"] for e in searches] == ["openid", "phone", "booking", "phone"]
    assert all("13812345678" not in str(e.details) for e in searches)  # the log keeps the number masked


async def test_a_supervisor_edits_the_quick_replies(desk, engine, team):
    zhao, wang = await desk("zhao"), await desk("wang")
    assert notice(await zhao.post("/quick-replies", {"title": "社保", "text": "社保卡补办请携带身份证。"})) == "saved"
    assert notice(await zhao.post("/quick-replies", {"title": "", "text": "x"})) == "invalid"
    assert "社保卡补办请携带身份证。" in await wang.page("/quick-replies")
    assert notice(await zhao.post("/quick-replies", {"id": "1", "title": "问候", "text": "您好！"})) == "saved"
    assert notice(await zhao.post("/quick-replies/2/delete")) == "deleted"
    page = await wang.page("/quick-replies")
    assert "您好！" in page and "请稍等" not in page
    edits = [(e.action, e.staff_id) for e in await audit.entries(engine) if "quick_reply" in e.action]
    assert edits == [("save_quick_reply", team.zhao.id)] * 2 + [("delete_quick_reply", team.zhao.id)]
