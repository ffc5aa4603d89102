"""The channel wired to the staff console, on a real SQLite console database and the fake WeChat
API: while a conversation is with staff every citizen message is stored once and in order, the
assistant stays silent and the citizen hears at most once per ``HOLD_EVERY`` that it arrived;
staff replies go out through the channel's own output (``ChannelSender`` → staff route → outbox,
as the staff member's kf_account); once handed back the assistant answers again."""
from __future__ import annotations

import asyncio
from typing import List

import pytest
from rasa.shared.core.events import ConversationResumed

from connectors.wechat import turns
from connectors.wechat.staff import ChannelSender
from connectors.wechat.turns import HOLDING
from console.db import create_engine, migrate
from console.handoff import State
from console.hours import StaffHours
from console.messages import Direction, Kind, Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.staff import StaffAccounts
from console.web.sender import SendFailed
from tests.connectors.conftest import HandedToStaff, new_openid
from tests.console.conftest import CHEAP_HASHER, PASSWORD

TOKEN = "staff-route-test-token"
ALWAYS_OPEN = "00:00-23:59"


@pytest.fixture
async def console(sqlite_url):
    settings = ConsoleSettings(database_url=sqlite_url, rasa_token=TOKEN,
                               staff_hours=ConsoleSettings.from_env({"CONSOLE_STAFF_HOURS": ALWAYS_OPEN}).staff_hours)
    engine = create_engine(sqlite_url)
    await migrate(engine)
    yield settings, Sessions(engine, StaffHours(settings.staff_hours)), Transcripts(engine), engine
    await engine.dispose()


async def test_messages_with_staff_are_stored_once_in_order_and_acknowledged_at_most_every_period(
        start_server, console, monkeypatch):
    settings, sessions, transcripts, _ = console
    monkeypatch.setattr(turns, "HOLD_EVERY", 1.5)  # the ten minutes, moved on by the test's own clock
    harness = await start_server(console=settings)
    peer, openid = harness.peer, new_openid()
    session = await sessions.open("wechat", openid, "user_request")
    first = peer.text(openid, "我的证件办好了吗")
    replies = [(await peer.push(first)).reply for _ in range(3)]  # WeChat's three tries
    assert replies == [HOLDING] * 3  # one turn: its answer given again to the retries
    assert (await peer.push(peer.voice(openid, "什么时候能拿到"))).reply is None  # within the period: silence
    assert (await peer.push(peer.message_xml(openid, "image", {"PicUrl": "http://x/p.jpg",
                                                               "MediaId": "media_pic_1"}))).reply is None
    await asyncio.sleep(1.6)
    assert (await peer.push(peer.text(openid, "还在吗"))).reply == HOLDING
    stored = await transcripts.of(session.id)
    assert [(m.direction, m.kind, m.text, m.media_id) for m in stored] == [
        (Direction.CITIZEN, Kind.TEXT, "我的证件办好了吗", None),
        (Direction.CITIZEN, Kind.VOICE, "什么时候能拿到", stored[1].media_id),
        (Direction.CITIZEN, Kind.IMAGE, "[图片]", "media_pic_1"),
        (Direction.CITIZEN, Kind.TEXT, "还在吗", None)]
    assert stored[1].media_id and [m.seq for m in stored] == [1, 2, 3, 4]
    assert not any("你说" in (r or "") for r in replies)  # the assistant never saw them


async def test_once_a_staff_member_has_the_conversation_no_notice_comes_in_between(start_server, console):
    """Waiting, the citizen hears that the message reached the staff; once claimed, the staff
    member answers and the channel says nothing of its own (every message is still stored)."""
    settings, sessions, transcripts, engine = console
    harness = await start_server(console=settings)
    peer, openid = harness.peer, new_openid()
    staff = await StaffAccounts(engine, hasher=CHEAP_HASHER).add_staff("wang", "王小明", "agent", PASSWORD)
    session = await sessions.open("wechat", openid, "user_request")
    await sessions.claim(session.id, staff)
    assert (await peer.push(peer.text(openid, "你好，在吗"))).reply is None
    assert (await peer.push(peer.voice(openid, "我想问下护照"))).reply is None
    assert [m.text for m in await transcripts.of(session.id)] == ["你好，在吗", "我想问下护照"]
    await sessions.release(session.id, staff)  # back in the queue: the notice again
    assert (await peer.push(peer.text(openid, "还有人吗"))).reply == HOLDING


async def test_a_staff_reply_reaches_the_citizen_through_the_channel_s_output(start_server, console, fake):
    settings, sessions, _, engine = console
    harness = await start_server(console=settings)
    peer, openid = harness.peer, new_openid()
    await sessions.open("wechat", openid, "user_request")
    await peer.push(peer.text(openid, "转人工"))  # opens WeChat's 48-hour window
    sender = ChannelSender(harness.url, TOKEN)
    before = await sender.allowance("wechat", openid)  # the channel's own counter, as the console shows it
    assert before is not None and before.messages_left == 5 and 47.9 * 3600 < before.seconds_left <= 48 * 3600
    await sender.typing("wechat", openid)
    await sender.send("wechat", openid, "您好，我是人工客服小王。", "wang@gh_demo")
    assert (await sender.allowance("wechat", openid)).messages_left == 4
    assert await sender.allowance("sms", openid) is None  # another channel: the console estimates
    assert await ChannelSender(harness.url, "wrong-token").allowance("wechat", openid) is None
    messages, _ = await peer.customer_messages(openid, wait=3)
    assert [(m["text"], m.get("kf_account")) for m in messages] == [("您好，我是人工客服小王。", "wang@gh_demo")]
    calls = [c["path"] for c in fake.fake.state.calls]
    assert "/cgi-bin/message/custom/typing" in calls
    with pytest.raises(SendFailed):
        await ChannelSender(harness.url, "wrong-token").send("wechat", openid, "冒充的消息", None)
    with pytest.raises(SendFailed):  # WeChat's quota of 5 per citizen message, counted by the channel
        for number in range(5):
            await sender.send("wechat", openid, f"第{number}条", None)
    assert (await sender.allowance("wechat", openid)).messages_left == 0


async def test_staff_are_shown_the_window_that_lasts(start_server, console):
    """A menu click or a follow also opens a minute for 3 messages; staff are shown the 48 hours."""
    harness = await start_server(console=console[0])
    peer, openid = harness.peer, new_openid()
    await peer.push(peer.text(openid, "转人工"))
    await peer.push(peer.event(openid, "subscribe"))
    shown = await ChannelSender(harness.url, TOKEN).allowance("wechat", openid)
    assert shown is not None and shown.messages_left == 5 and shown.seconds_left > 47.9 * 3600


class SeeingAll(HandedToStaff):
    """Records every message the assistant is handed, paused or not."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: List[str] = []

    async def handle_message(self, message) -> None:
        self.seen.append(message.text)
        await super().handle_message(message)


async def test_with_rasa_s_tracker_the_console_is_asked_only_about_conversations_handed_over(
        start_server, console):
    """No console lookup per message: the first message after the handover reaches the paused,
    silent assistant and is stored then (marking the conversation); the next ones go straight to
    staff; once handed back the mark goes and the assistant answers."""
    settings, sessions, transcripts, engine = console
    agent = SeeingAll()
    harness = await start_server(console=settings, agent=agent)
    peer, openid = harness.peer, new_openid()
    staff = await StaffAccounts(engine, hasher=CHEAP_HASHER).add_staff("wang", "王小明", "agent", PASSWORD)
    assert (await peer.push(peer.text(openid, "你好"))).reply == "你说：你好"
    assert (await peer.push(peer.text(openid, "转人工"))).reply == HandedToStaff.HANDOFF
    session = await sessions.open("wechat", openid, "user_request")  # as action_handoff does
    assert (await peer.push(peer.text(openid, "我的证件办好了吗"))).reply == HOLDING
    assert (await peer.push(peer.text(openid, "什么时候能拿到"))).reply is None
    assert agent.seen == ["你好", "转人工", "我的证件办好了吗"]  # not the last
    assert [m.text for m in await transcripts.of(session.id)] == ["我的证件办好了吗", "什么时候能拿到"]
    await sessions.claim(session.id, staff)
    await sessions.hand_back(session.id, staff)
    tracker = await agent.tracker_store.retrieve(openid)
    tracker.update(ConversationResumed())  # what the console asks of Rasa's HTTP API
    await agent.tracker_store.save(tracker)
    assert (await peer.push(peer.text(openid, "补办身份证"))).reply == "你说：补办身份证"
    assert (await peer.push(peer.text(openid, "谢谢"))).reply == "你说：谢谢"


async def test_handed_back_the_assistant_answers_again(start_server, console):
    settings, sessions, transcripts, engine = console
    harness = await start_server(console=settings)
    peer, openid = harness.peer, new_openid()
    staff = await StaffAccounts(engine, hasher=CHEAP_HASHER).add_staff("wang", "王小明", "agent", PASSWORD)
    session = await sessions.open("wechat", openid, "user_request")
    assert (await peer.push(peer.text(openid, "在吗"))).reply == HOLDING
    await sessions.claim(session.id, staff)
    handed = await sessions.hand_back(session.id, staff)
    assert handed.state is State.BOT
    assert (await peer.push(peer.text(openid, "补办身份证"))).reply == "你说：补办身份证"
    assert [m.text for m in await transcripts.of(session.id)] == ["在吗"]
