"""Menu commands, template messages and the portal's status-change webhook."""
from __future__ import annotations

import hashlib
import hmac
import io
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.wechat import admin
from connectors.wechat.api import WeChatClient
from connectors.wechat.menu import Menu, MenuError
from connectors.wechat.notify import PortalEvents, init_app, sign
from connectors.wechat.storage import Storage
from connectors.wechat.templates import Templates, clip
from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_APP_SECRET
from tests.connectors.conftest import make_settings, new_openid

STATUS_EVENT = {
    "event": "application.status_changed", "application_id": "SQ20261118000123",
    "item_code": "ID-CARD-REISSUE", "item_name": "居民身份证补领（含户籍地与异地办理的全部情形说明）",
    "applicant": "张*", "status": "补正", "submitted_at": "2026-11-18T09:30:00+08:00",
    "current": {"status": "补正", "at": "2026-11-25T10:00:00+08:00", "department": "市公安局户政窗口",
                "note": "照片不合格"},
    "next_step": "请按要求补齐材料，补正后重新进入审核", "timeline": [],
}


async def test_menu_push_then_show(fake):
    settings = make_settings(fake.url)
    out = io.StringIO()
    assert await admin.publish_menu(settings, out) == 0
    assert "办事指南 / 预约办理 / 更多服务" in out.getvalue()
    pushed = fake.fake.state.menu
    assert pushed["button"][1]["sub_button"][0] == {"name": "预约办理", "type": "click", "key": "BOOK"}
    out = io.StringIO()
    await admin.menu_show(settings, out)
    assert json.loads(out.getvalue())["selfmenu_info"] == pushed


def test_menu_show_local_and_cli_errors(monkeypatch, capsys):
    out = io.StringIO()
    assert admin.main(["menu", "show", "--local"], out=out) == 0
    assert json.loads(out.getvalue())["button"][0]["key"] == "GUIDE"
    monkeypatch.delenv("WECHAT_APP_ID", raising=False)
    monkeypatch.delenv("WECHAT_APP_SECRET", raising=False)
    assert admin.main(["menu", "push"]) == 2
    assert "WECHAT_APP_ID" in capsys.readouterr().err


def test_menu_rules_are_checked_before_a_push(tmp_path):
    bad = tmp_path / "menu.yml"
    bad.write_text("buttons:\n  - {name: 这个名字实在太长了, type: click, key: A}\n", encoding="utf-8")
    with pytest.raises(MenuError):
        Menu.load(bad)
    bad.write_text("buttons:\n" + "".join(f"  - {{name: b{i}, type: click, key: K{i}}}\n" for i in range(4)))
    with pytest.raises(MenuError):
        Menu.load(bad)


def test_template_fields_are_at_most_20_characters():
    data = Templates.load()["status_changed"].render({**STATUS_EVENT, "at": "2026-11-25 10:00"})
    assert all(len(item["value"]) <= 20 for item in data.values())
    assert data["thing1"]["value"].endswith("…")
    assert data["character_string2"]["value"] == "SQ20261118000123"
    assert data["phrase3"]["value"] == "补正"
    assert clip("一二三四五六", 5) == "一二三四…"


def _client(fake) -> WeChatClient:
    return WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, fake.url, Storage.in_process())


SECRET = "s3cret"


async def _deliver(events: PortalEvents, body: bytes):
    """A post signed as the portal signs it (the receiver refuses unsigned posts)."""
    return await events.handle(body, sign(SECRET, body))


async def test_status_change_sends_a_template_to_the_bound_openid(fake):
    client = _client(fake)
    events = PortalEvents(client, Templates.load(), secret="s3cret")
    openid = new_openid()
    body = json.dumps({**STATUS_EVENT, "openid": openid}, ensure_ascii=False).encode()
    signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert (await events.handle(body, None))[0] == 401
    assert (await events.handle(body, "0" * 64))[0] == 401
    status, answer = await events.handle(body, signature)
    await client.close()
    assert status == 200 and answer["sent"] is True
    sent = fake.fake.state.templates[-1]
    assert sent["openid"] == openid and sent["template_id"] == "demo_status_changed"
    assert sent["data"]["time4"]["value"] == "2026-11-25 10:00"


async def test_unbound_unknown_and_malformed_events(fake):
    client = _client(fake)
    events = PortalEvents(client, Templates.load(), SECRET)
    assert (await _deliver(events, json.dumps({**STATUS_EVENT, "openid": None}).encode()))[0] == 202
    assert (await _deliver(events, b'{"event": "something.else"}'))[0] == 202
    assert (await _deliver(events, b"{not json"))[0] == 400
    assert (await _deliver(events, b"[]"))[0] == 400
    assert (await _deliver(events, b"[" * 60000))[0] == 400  # deeper than Python recurses: was a 500
    odd_shape = json.dumps({**STATUS_EVENT, "openid": new_openid(), "current": "x"}).encode()
    assert (await _deliver(events, odd_shape))[0] == 400  # was a 500 (AttributeError in the template)
    booking = {"event": "appointment.reminder", "openid": new_openid(), "booking_no": "BK20261126000001",
               "item_name": "护照首次申领", "hall_name": "市民服务中心", "date": "2026-11-26", "time": "09:00-10:00"}
    status, answer = await _deliver(events, json.dumps(booking, ensure_ascii=False).encode())
    await client.close()
    assert status == 200 and fake.fake.state.templates[-1]["data"]["time3"]["value"] == "2026-11-26 09:00"


async def test_notifications_follow_the_channel_the_citizen_used(fake):
    """A booking made through the REST channel is no WeChat conversation: its sender id is no openid,
    so no template goes out (WeChat would refuse it with 40003); a WeChat one is sent."""
    client = _client(fake)
    events = PortalEvents(client, Templates.load(), SECRET)
    before = len(fake.fake.state.templates)
    other = json.dumps({**STATUS_EVENT, "openid": "rest-user-1", "channel": "rest"}).encode()
    status, answer = await _deliver(events, other)
    assert (status, answer["sent"]) == (202, False) and "another channel" in answer["reason"]
    assert len(fake.fake.state.templates) == before
    ours = json.dumps({**STATUS_EVENT, "openid": new_openid(), "channel": "wechat"}).encode()
    status, answer = await _deliver(events, ours)
    await client.close()
    assert (status, answer["sent"]) == (200, True) and len(fake.fake.state.templates) == before + 1


async def test_wechat_outage_answers_502_so_the_portal_retries(fake):
    client = WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, "http://127.0.0.1:9/", Storage.in_process(), timeout=1)
    events = PortalEvents(client, Templates.load(), SECRET)
    status, _ = await _deliver(events, json.dumps({**STATUS_EVENT, "openid": new_openid()}).encode())
    await client.close()
    assert status == 502


async def test_aiohttp_receiver(fake):
    client = _client(fake)
    app = init_app(PortalEvents(client, Templates.load(), SECRET), client)
    async with TestClient(TestServer(app)) as http:
        body = json.dumps({**STATUS_EVENT, "openid": new_openid()}).encode()
        response = await http.post("/portal/events", data=body, headers={"X-Portal-Signature": sign(SECRET, body)})
        assert response.status == 200 and (await response.json())["sent"] is True
        response = await http.post("/portal/events", data=b"x" * (70 * 1024))
        assert response.status == 413


async def test_the_rasa_server_receives_the_portal_webhook(start_server, fake):
    harness = await start_server(portal_webhook_secret="s3cret")
    body = json.dumps({**STATUS_EVENT, "openid": new_openid()}, ensure_ascii=False).encode()
    signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as session:
        async with session.post(harness.url + "/webhooks/wechat/portal", data=body,
                                headers={"X-Portal-Signature": signature}) as response:
            assert response.status == 200
        async with session.post(harness.url + "/webhooks/wechat/portal", data=body) as response:
            assert response.status == 401
    assert len(fake.fake.state.templates) == 1
    shown = fake.fake.state.messages[-1]  # what the citizen's WeChat shows
    assert shown["kind"] == "template" and "SQ20261118000123" in shown["text"] and "补正" in shown["text"]


def test_command_entry_points(capsys):
    import argparse

    from connectors.wechat.cli import configure_chat, configure_fake

    chat, fake = argparse.ArgumentParser(), argparse.ArgumentParser()
    configure_chat(chat)
    configure_fake(fake)
    args = chat.parse_args(["--aes", "--openid", "o123456789"])
    assert args.aes and args.openid == "o123456789" and args.url is None  # env read when it runs
    assert fake.parse_args(["--port", "9011"]).port == 9011
    assert admin.main(["menu", "show", "--local"]) == 0
    assert json.loads(capsys.readouterr().out)["button"][2]["name"] == "更多服务"


# ------------------------------------------------------------ the receiver refuses unsigned posts, always


async def test_without_a_secret_the_rasa_server_refuses_every_portal_post(start_server, fake):
    harness = await start_server()  # PORTAL_WEBHOOK_SECRET unset
    body = json.dumps({**STATUS_EVENT, "openid": new_openid()}, ensure_ascii=False).encode()
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Portal-Signature": sign("guessed", body)}):
            async with session.post(harness.url + "/webhooks/wechat/portal", data=body, headers=headers) as response:
                assert response.status == 403
                assert (await response.json())["error"] == "notifications_disabled"
    assert fake.fake.state.templates == []


def test_disabled_notifications_are_logged_once_at_start(fake, caplog):
    from connectors.wechat.channel import WeChatInput

    with caplog.at_level("WARNING", logger="connectors.wechat.notify"):
        WeChatInput(make_settings(fake.url))
        WeChatInput(make_settings(fake.url, portal_webhook_secret=SECRET))
    assert [r.getMessage() for r in caplog.records if "PORTAL_WEBHOOK_SECRET" in r.getMessage()] == [
        "portal notifications are disabled: PORTAL_WEBHOOK_SECRET is unset, so every post to the portal "
        "receiver is refused; set the same secret here and on the portal"]


async def test_a_timestamped_signature_binds_the_time(fake):
    client = _client(fake)
    now = [1_764_000_000.0]
    events = PortalEvents(client, Templates.load(), SECRET, now=lambda: now[0])
    body = json.dumps({**STATUS_EVENT, "openid": new_openid()}, ensure_ascii=False).encode()
    stamp = str(int(now[0]))
    signature = sign(SECRET, body, stamp)
    assert (await events.handle(body, signature))[0] == 401  # the timestamp header stripped
    assert (await events.handle(body, signature, str(int(now[0]) + 1)))[0] == 401  # another time
    assert (await events.handle(body, sign(SECRET, body), stamp))[0] == 401  # body-only signature, timestamp added
    now[0] += 301
    assert (await events.handle(body, signature, stamp))[0] == 401  # stale: a replay
    now[0] -= 301
    status, answer = await events.handle(body, signature, stamp)
    await client.close()
    assert status == 200 and answer["sent"] is True


async def test_any_signature_header_is_a_401_never_a_500(start_server, fake):
    harness = await start_server(portal_webhook_secret=SECRET)
    body = json.dumps({**STATUS_EVENT, "openid": new_openid()}).encode()
    async with aiohttp.ClientSession() as session:
        for signature, stamp in (("é" * 64, None), ("签名", None), (sign(SECRET, body, "²"), "²"),
                                 (sign(SECRET, body), "9" * 5000)):
            headers = {"X-Portal-Signature": signature, **({"X-Portal-Timestamp": stamp} if stamp else {})}
            async with session.post(harness.url + "/webhooks/wechat/portal", data=body, headers=headers) as response:
                assert response.status == 401, (signature, stamp)
    assert fake.fake.state.templates == []
