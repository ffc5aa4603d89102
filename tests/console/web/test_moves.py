"""Staff moves through HTTP: two staff claiming at once (exactly one wins), replies stored and
handed to the injected sender, the delivery window shown and enforced, release, close with a
note, hand back with a rating request, and the audit row of each."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from console import audit
from console.delivery import Allowance
from console.handoff import State
from console.messages import Direction
from tests.console.web.conftest import OPENID, notice

ROUNDS = 4


async def test_two_staff_claiming_at_once_exactly_one_wins(desk, sessions, engine, team):
    wang, li = await desk("wang"), await desk("li")
    for round_ in range(ROUNDS):
        session = await sessions.open("wechat", f"{OPENID}{round_}", "user_request")
        path = f"/conversations/{session.id}/claim"
        responses = await asyncio.gather(wang.post(path), li.post(path))
        assert sorted(notice(r) for r in responses) == ["claimed", "taken"]
        winner = team.wang if notice(responses[0]) == "claimed" else team.li
        stored = await sessions.get(session.id)
        assert (stored.state, stored.assigned_staff_id) == (State.WITH_STAFF, winner.id)
        claims = [e.staff_id for e in await audit.entries(engine, audit.session_target(session.id))
                  if e.action == "claim"]
        assert claims == [winner.id]


async def test_a_reply_is_stored_and_handed_to_the_sender(desk, sessions, transcripts, sender, engine, team):
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="请问身份证怎么补办？")
    wang = await desk("wang")
    assert notice(await wang.post(f"/conversations/{session.id}/claim")) == "claimed"
    assert "还可发送 5 条" in await wang.page(f"/conversations/{session.id}")
    response = await wang.post(f"/conversations/{session.id}/reply", {"text": "请携带户口本到大厅办理。"})
    assert notice(response) == "sent"
    assert sender.sent == [("wechat", OPENID, "请携带户口本到大厅办理。", None)]
    stored = (await transcripts.of(session.id))[-1]
    assert (stored.direction, stored.text) == (Direction.STAFF, "请携带户口本到大厅办理。")
    assert stored.staff_id == team.wang.id
    page = await wang.page(f"/conversations/{session.id}")
    assert "请携带户口本到大厅办理。" in page and "还可发送 4 条" in page
    assert "reply" in [e.action for e in await audit.entries(engine, audit.session_target(session.id))]


async def test_a_reply_the_sender_fails_is_kept_and_reported(desk, sessions, transcripts, sender, engine):
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    sender.failing = True
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "在的"})) == "not_sent"
    assert (await transcripts.of(session.id))[-1].text == "在的"
    actions = [e.action for e in await audit.entries(engine, audit.session_target(session.id))]
    assert actions[-2:] == ["reply", "reply_not_sent"]


async def test_an_undeliverable_reply_is_refused_and_said_plainly(desk, sessions, transcripts, sender, clock):
    session = await sessions.open("wechat", OPENID, "user_request")
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    assert "尚未发来消息，回复无法送达" in await wang.page(f"/conversations/{session.id}")
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "您好"})) == "undeliverable"
    await transcripts.add(session.id, Direction.CITIZEN, text="你好")
    clock.now += timedelta(hours=47, minutes=30)
    wang = await desk("wang")  # signed in again: the old sign-in ended long ago
    assert "剩余 30 分钟，还可发送 5 条" in await wang.page(f"/conversations/{session.id}")
    clock.now += timedelta(minutes=29)
    assert "剩余 1 分钟" in await wang.page(f"/conversations/{session.id}")
    clock.now += timedelta(minutes=2)
    page = await wang.page(f"/conversations/{session.id}")
    assert "已超过 48 小时，微信不再投递回复" in page and "模板消息或电话" in page
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "您好"})) == "undeliverable"
    assert sender.sent == [] and [m.direction for m in await transcripts.of(session.id)] == [Direction.CITIZEN]


async def test_staff_see_the_channel_s_own_count_when_it_tells(desk, sessions, transcripts, sender):
    """The channel's counter is the authority: its count and time are shown (and a spent quota
    said plainly) over the console's estimate; without an answer, the estimate is shown."""
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    sender.counted = Allowance(messages_left=2, seconds_left=3 * 3600 + 60)
    assert "剩余 3 小时 1 分钟，还可发送 2 条" in await wang.page(f"/conversations/{session.id}/live")
    sender.counted = Allowance(messages_left=0, seconds_left=3600)  # e.g. the bot's own answers spent it
    page = await wang.page(f"/conversations/{session.id}")
    assert "还可发送" not in page and "可回复条数已用完" in page and "模板消息或电话" in page
    assert page.count("disabled") == 2  # the reply box and its button
    sender.counted = None
    assert "还可发送 5 条" in await wang.page(f"/conversations/{session.id}/live")


async def test_a_reply_the_channel_s_counter_would_refuse_is_refused_and_not_stored(desk, sessions, transcripts,
                                                                                   sender):
    """Refused as staff were shown: the channel's spent counter wins over the console's estimate."""
    session = await sessions.open("wechat", OPENID, "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    sender.counted = Allowance(messages_left=0, seconds_left=3600)
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "您好"})) == "undeliverable"
    assert sender.sent == [] and [m.text for m in await transcripts.of(session.id)] == ["在吗"]
    sender.counted = Allowance(messages_left=1, seconds_left=3600)
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "您好"})) == "sent"


async def test_a_channel_that_cannot_send_is_said_and_nothing_is_stored(desk, sessions, transcripts, sender):
    """A conversation from Rasa's rest channel (local tries): it answers requests, it cannot push."""
    session = await sessions.open("rest", "me", "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="转人工")
    wang = await desk("wang")
    await wang.post(f"/conversations/{session.id}/claim")
    assert "不能发送客服消息的渠道" in await wang.page(f"/conversations/{session.id}")
    assert notice(await wang.post(f"/conversations/{session.id}/reply", {"text": "您好"})) == "undeliverable"
    assert sender.sent == [] and [m.text for m in await transcripts.of(session.id)] == ["转人工"]


async def test_release_close_and_hand_back_are_audited(desk, sessions, engine, team):
    first = await sessions.open("wechat", OPENID, "user_request")
    second = await sessions.open("wechat", OPENID + "2", "fallback")
    wang = await desk("wang")
    for session in (first, second):
        await wang.post(f"/conversations/{session.id}/claim")
    assert notice(await wang.post(f"/conversations/{first.id}/release")) == "released"
    await wang.post(f"/conversations/{first.id}/claim")
    response = await wang.post(f"/conversations/{first.id}/close", {"note": "已电话告知", "ask_rating": "on"})
    assert notice(response) == "closed"
    assert notice(await wang.post(f"/conversations/{second.id}/hand_back")) == "handed_back"
    closed, handed = await sessions.get(first.id), await sessions.get(second.id)
    assert (closed.state, closed.closing_note, closed.rating_asked) == (State.CLOSED, "已电话告知", True)
    assert (handed.state, handed.rating_asked) == (State.BOT, False)
    logged = [(e.action, e.staff_id) for e in await audit.entries(engine, audit.session_target(first.id))]
    assert logged[1:] == [("claim", team.wang.id), ("release", team.wang.id), ("claim", team.wang.id),
                          ("close", team.wang.id)]
    assert [e.action for e in await audit.entries(engine, audit.session_target(second.id))][-1] == "hand_back"
    assert notice(await wang.post(f"/conversations/{second.id}/close")) == "not_allowed"


async def test_tickets_show_their_due_day_and_can_be_claimed(desk, sessions, clock):
    clock.now = clock.now.replace(hour=18)  # Wednesday evening: staff have gone
    ticket = await sessions.open("wechat", OPENID, "user_request", "户籍迁移")
    clock.now = clock.now.replace(hour=9, minute=30) + timedelta(days=1)
    wang = await desk("wang")
    page = await wang.page("/tickets")
    assert "户籍迁移" in page and "2026-11-26" in page
    assert notice(await wang.post(f"/conversations/{ticket.id}/claim")) == "claimed"
    assert "没有待处理的留言" in await wang.page("/tickets")


async def test_typing_reaches_the_citizen_only_from_the_staff_member_holding_the_conversation(desk, sessions, sender):
    session = await sessions.open("wechat", OPENID, "user_request")
    wang, li = await desk("wang"), await desk("li")
    path = f"/conversations/{session.id}/typing"

    async def typing(staff, token=None):  # as live.js sends it: the CSRF token in a header, no body
        headers = {"X-CSRF-Token": staff.csrf if token is None else token, "Origin": staff.origin}
        return await staff.client.post(path, headers=headers, allow_redirects=False)

    assert (await typing(wang)).status == 409  # still waiting in the queue
    assert notice(await wang.post(f"/conversations/{session.id}/claim")) == "claimed"
    assert (await typing(li)).status == 409  # not li's
    assert (await typing(wang, token="forged")).status == 403
    assert sender.typing_to == []
    assert (await typing(wang)).status == 204
    assert sender.typing_to == [("wechat", OPENID)]
    assert (await wang.client.post("/conversations/999999/typing", headers={"X-CSRF-Token": wang.csrf,
                                   "Origin": wang.origin}, allow_redirects=False)).status == 404
