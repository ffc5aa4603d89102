"""``HANDOFF_MODE=wechat`` through the simulator: a handoff is answered with WeChat's own
``transfer_customer_service`` reply (its words follow as a customer-service message), every later
message of the paused conversation is forwarded the same way instead of the console's
acknowledgement, and ``kf_close_session`` gives the conversation back to the assistant."""
from __future__ import annotations

import time

from connectors.wechat.transfer import BACK_TO_BOT
from console.settings import ConsoleSettings
from tests.connectors.conftest import HandedToStaff, new_openid

WECHAT_SERVICE = ConsoleSettings(handoff_mode="wechat")
TRANSFERRED = "transfer_customer_service"


async def test_wechat_s_customer_service_has_the_conversation_until_it_closes_the_session(start_server):
    agent = HandedToStaff()
    harness = await start_server(agent=agent, console=WECHAT_SERVICE, aes=True)
    peer, openid = harness.peer, new_openid()
    handoff = await peer.push(peer.text(openid, "转人工"))
    assert (handoff.reply_type, handoff.reply) == (TRANSFERRED, None)
    told, seen = await peer.customer_messages(openid, wait=3)
    assert [m["text"] for m in told] == [HandedToStaff.HANDOFF]

    for text in ("我的证件怎么还没办好", "在吗"):  # forwarded too, never the console's acknowledgement
        assert (await peer.push(peer.text(openid, text))).reply_type == TRANSFERRED
    assert agent.turns == []  # the assistant answered none of them (its echo never ran)

    closed = await peer.push(peer.kf_close_session(openid))
    assert closed.reply == BACK_TO_BOT and not await agent.is_paused(openid)
    assert (await peer.push(peer.text(openid, "你好"))).reply == "你说：你好"
    again = await peer.push(peer.kf_close_session(openid, create_time=int(time.time()) + 1))
    assert again.status == 200 and again.reply is None  # nothing to give back: nothing said
    assert (await peer.customer_messages(openid, seen))[0] == []  # the transfer marker never went out as text


async def test_a_handoff_too_slow_for_a_passive_reply_is_pushed_without_the_transfer(start_server):
    agent = HandedToStaff(handoff_seconds=1.0)
    harness = await start_server(agent=agent, console=WECHAT_SERVICE, passive_timeout=0.3)
    peer, openid = harness.peer, new_openid()
    handoff = await peer.push(peer.text(openid, "转人工"))
    assert (handoff.status, handoff.reply_type) == (200, None)  # "success": WeChat forwards nothing
    told, _ = await peer.customer_messages(openid, wait=5)
    assert [m["text"] for m in told] == [HandedToStaff.HANDOFF]
    assert (await peer.push(peer.text(openid, "在吗"))).reply_type == TRANSFERRED  # the next one is forwarded
