"""Whether a staff reply still reaches the citizen: WeChat's 48-hour window and 5 messages per
citizen message (the connector's rule), on a moving clock."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from connectors.wechat.inbound import MESSAGE_WINDOW
from connectors.wechat.outbox import WINDOWS
from console.delivery import EXPIRED, NO_MESSAGE, QUOTA_SPENT, delivery_window
from console.handoff import NotAssigned, Undeliverable
from console.messages import Direction
from govbot.clock import CHINA_TZ

QUOTA, SECONDS = WINDOWS[MESSAGE_WINDOW]
WROTE = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA_TZ)


@pytest.mark.parametrize("after, sent, left, messages, why", [
    (timedelta(0), 0, timedelta(seconds=SECONDS), QUOTA, None),
    (timedelta(hours=47, minutes=59), 2, timedelta(minutes=1), QUOTA - 2, None),
    (timedelta(seconds=SECONDS), 0, timedelta(0), 0, EXPIRED),
    (timedelta(days=3), 0, timedelta(0), 0, EXPIRED),
    (timedelta(hours=1), QUOTA, timedelta(hours=47), 0, QUOTA_SPENT),
])
def test_the_window(after, sent, left, messages, why):
    window = delivery_window(WROTE, WROTE + after, sent)
    assert (window.time_left, window.messages_left, window.why_not) == (left, messages, why)
    assert window.deliverable is (why is None) and window.closes_at == WROTE + timedelta(seconds=SECONDS)


def test_without_a_citizen_message_nothing_can_be_sent():
    window = delivery_window(None, WROTE)
    assert (window.closes_at, window.why_not, window.deliverable) == (None, NO_MESSAGE, False)


async def test_replies_on_a_moving_clock(sessions, transcripts, team, clock):
    session = await sessions.open("wechat", "openid-a", "user_request")
    await sessions.claim(session.id, team.wang)
    assert (await sessions.delivery(session.id)).why_not == NO_MESSAGE
    with pytest.raises(Undeliverable):
        await sessions.reply(session.id, team.wang, "您好")

    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    wrote = clock.now
    for sent in range(QUOTA):
        clock.now += timedelta(minutes=10)
        window = await sessions.delivery(session.id)
        assert window.messages_left == QUOTA - sent
        assert window.time_left == timedelta(seconds=SECONDS) - (clock.now - wrote)
        await sessions.reply(session.id, team.wang, f"第{sent + 1}条")
    with pytest.raises(Undeliverable) as refused:
        await sessions.reply(session.id, team.wang, "第6条")
    assert refused.value.why == QUOTA_SPENT

    clock.now += timedelta(hours=1)
    await transcripts.add(session.id, Direction.CITIZEN, text="好的，还有一个问题")  # a fresh window
    assert (await sessions.delivery(session.id)).messages_left == QUOTA
    clock.now += timedelta(seconds=SECONDS - 1)
    await sessions.reply(session.id, team.wang, "还来得及")
    clock.now += timedelta(seconds=1)
    with pytest.raises(Undeliverable) as refused:
        await sessions.reply(session.id, team.wang, "太晚了")
    assert refused.value.why == EXPIRED
    assert [m.text for m in await transcripts.of(session.id)][-1] == "还来得及"  # the refused ones are not kept


async def test_only_the_staff_member_with_the_conversation_replies(sessions, transcripts, team):
    session = await sessions.open("wechat", "openid-a", "user_request")
    await transcripts.add(session.id, Direction.CITIZEN, text="在吗")
    with pytest.raises(NotAssigned):
        await sessions.reply(session.id, team.wang, "还没认领")
    await sessions.claim(session.id, team.wang)
    with pytest.raises(NotAssigned):
        await sessions.reply(session.id, team.li, "不是我的")
    assert len(await transcripts.of(session.id)) == 1
