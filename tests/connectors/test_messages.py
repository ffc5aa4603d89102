"""Message types and events, numbered choices, and hostile input (the server stays up)."""
from __future__ import annotations

import aiohttp
from wechatpy.events import SubscribeScanEvent
from wechatpy.messages import UnknownMessage

from connectors.wechat.envelope import parse_xml
from connectors.wechat.inbound import ASK_TO_TYPE, CAPABILITIES, to_message
from tests.connectors.conftest import new_openid


async def test_voice_uses_recognition_else_asks_to_type(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.voice(openid, "我要预约办护照"))).reply == "你说：我要预约办护照"
    assert (await peer.push(peer.voice(openid, None))).reply == ASK_TO_TYPE
    assert (await peer.push(peer.voice(openid, ""))).reply == ASK_TO_TYPE
    assert harness.agent.turns == [(openid, "我要预约办护照")]


async def test_follow_shows_numbered_welcome_and_a_number_picks_from_it(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    welcome = (await peer.push(peer.event(openid, "subscribe"))).reply
    assert "1. 办事指南" in welcome and "4. 人工服务" in welcome
    assert (await peer.push(peer.text(openid, "3"))).reply == "你说：/check_status"
    # the choice is used once: a later "3" is plain text again (e.g. an answer to a form)
    assert (await peer.push(peer.text(openid, "3"))).reply == "你说：3"


async def test_menu_click_sends_the_mapped_payload(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.event(openid, "CLICK", "BOOK"))).reply == "你说：/book_appointment"
    assert (await peer.push(peer.event(openid, "CLICK", "STATUS"))).reply == "你说：/check_status"
    unknown = (await peer.push(peer.event(openid, "CLICK", "NO_SUCH_KEY"))).reply
    assert "暂时没有内容" in unknown


async def test_view_unsubscribe_and_scan(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    view = await peer.push(peer.event(openid, "VIEW", "https://zwfw.example.gov.cn/"))
    assert view.status == 200 and view.body == "success"
    unsubscribe = await peer.push(peer.event(openid, "unsubscribe"))
    assert unsubscribe.body == "success"
    scan = await peer.push(peer.event(openid, "SCAN", "hall_001"))
    assert "办事指南" in scan.reply
    follow_scan = await peer.push(peer.event(openid, "subscribe", "qrscene_hall_001"))
    assert "办事指南" in follow_scan.reply
    assert harness.agent.turns == []


async def test_other_types_get_a_polite_sentence(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    for msg_type, fields in (
            ("image", {"PicUrl": "http://127.0.0.1/a.jpg", "MediaId": "m"}),
            ("location", {"Location_X": 23.1, "Location_Y": 113.3, "Scale": 20, "Label": "某地"}),
            ("link", {"Title": "t", "Description": "d", "Url": "http://127.0.0.1/"}),
            ("video", {"MediaId": "m", "ThumbMediaId": "t"}),
            ("shortvideo", {"MediaId": "m", "ThumbMediaId": "t"}),
            ("file", {"Title": "a.pdf", "FileKey": "k", "FileMd5": "x", "FileTotalLen": 10})):
        delivery = await peer.push(peer.message_xml(openid, msg_type, fields))
        assert delivery.reply == CAPABILITIES, msg_type
    assert harness.agent.turns == []


async def test_buttons_become_a_numbered_list_and_numbers_pick(start_server):
    harness = await start_server()
    peer, openid = harness.peer, new_openid()
    assert (await peer.push(peer.text(openid, "buttons"))).reply == "请选择：\n1. 办事指南\n2. 预约办理"
    assert (await peer.push(peer.text(openid, "2"))).reply == "你说：/book_appointment"


async def test_cdata_terminator_in_a_reply_stays_text(start_server):
    harness = await start_server()
    peer = harness.peer
    assert (await peer.push(peer.text(new_openid(), "a]]><b>"))).reply == "你说：a]]><b>"


async def test_a_failing_assistant_gets_an_apology(start_server):
    harness = await start_server()
    peer = harness.peer
    reply = (await peer.push(peer.text(new_openid(), "boom"))).reply
    assert "开小差" in reply


async def test_malformed_and_oversize_input_gets_4xx_and_the_server_stays_up(start_server):
    harness = await start_server(max_body_bytes=4096)
    peer, openid = harness.peer, new_openid()
    cases = [
        (b"<xml><FromUserName>x</FromUserName>", 400),  # truncated
        (b"<xml><ToUserName>a</ToUserName></xml>", 400),  # missing fields
        (b"<!DOCTYPE xml [<!ENTITY a 'a'>]><xml><Content>&a;</Content></xml>", 400),
        (b"<xml>" + b"<A>x</A>" * 2000 + b"</xml>", 413),
        ("<xml>\u00ff</xml>".encode("latin-1"), 400),  # not UTF-8
        (b"<xml><ToUserName>a</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
         b"<MsgType><t>text</t></MsgType></xml>", 400),  # nested where wechatpy's dispatch reads text
        (b"<xml><ToUserName>a</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
         b"<MsgType kind='x'>text</MsgType><Content>hi</Content></xml>", 400),  # an attribute there
    ]
    for body, status in cases:
        query, _ = peer.signed(peer.text(openid, "x"))
        got, _ = await peer.post_raw(query, body)
        assert got == status, body[:40]
    async with aiohttp.ClientSession() as session:  # chunked, no Content-Length
        async def chunks():
            for _ in range(10):
                yield b"<A>" + b"x" * 1000 + b"</A>"
        query, _ = peer.signed(peer.text(openid, "x"))
        async with session.post(harness.webhook, params=query, data=chunks()) as response:
            assert response.status == 413
    assert (await peer.push(peer.text(openid, "还在吗"))).reply == "你说：还在吗"


def test_messages_are_wechatpys_own_objects():
    """The connector does not dispatch by MsgType and Event itself: wechatpy's parser does."""
    xml = ("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
           "<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_BOOK</EventKey></xml>")
    message = to_message(parse_xml(xml), xml)
    assert isinstance(message, SubscribeScanEvent) and message.scene_id == "BOOK"
    odd = "<xml><MsgType>hologram</MsgType><FromUserName>o1</FromUserName></xml>"
    assert isinstance(to_message(parse_xml(odd), odd), UnknownMessage)
