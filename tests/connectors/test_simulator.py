"""The terminal simulator (``govbot chat``) prints passive and customer-service replies."""
from __future__ import annotations

import asyncio
import io
import sys

from connectors.wechat.testing.simulator import Chat


class SlowStdin(io.StringIO):
    """Lines typed by a person: each one after a pause, so pushed replies can arrive."""

    def readline(self, *args):
        import time
        time.sleep(0.4)
        return super().readline(*args)


async def _chat(harness, monkeypatch, lines: str) -> str:
    monkeypatch.setattr(sys, "stdin", SlowStdin(lines))
    out = io.StringIO()
    await asyncio.wait_for(Chat(harness.peer, "o" + "simulator0user0000000000001", out).run(), 30)
    return out.getvalue()


async def test_chat_in_plaintext(start_server, monkeypatch):
    harness = await start_server()
    screen = await _chat(harness, monkeypatch, "补办身份证\nmulti 2\n/click STATUS\n/voice\n/image\n/quit\n")
    assert "1. 办事指南" in screen  # the welcome after the follow
    assert "公众号：你说：补办身份证" in screen
    assert "公众号：第1条" in screen and "公众号（客服消息）：第2条" in screen
    assert "公众号：你说：/check_status" in screen
    assert "没能听清" in screen and "只能看懂文字和语音" in screen


async def test_chat_in_safe_mode(start_server, monkeypatch):
    harness = await start_server(aes=True)
    screen = await _chat(harness, monkeypatch, "在吗\n/quit\n")
    assert "公众号：你说：在吗" in screen


async def test_chat_says_when_the_server_is_down(monkeypatch, fake):
    from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_TOKEN
    from connectors.wechat.testing.simulator import WeChatPeer

    peer = WeChatPeer("http://127.0.0.1:9/webhooks/wechat/webhook", DEMO_TOKEN, DEMO_APP_ID, fake_api_url=fake.url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("你好\n"))
    out = io.StringIO()
    await Chat(peer, "o" + "x" * 27, out).run()
    await peer.close()
    assert "服务器在运行吗" in out.getvalue()


def test_chat_follows_the_port_settings_of_govbot_up():
    import argparse

    from connectors.wechat.testing.simulator import endpoints

    none = argparse.Namespace(url=None, fake_api=None)
    assert endpoints(none, {}) == ("http://127.0.0.1:5005/webhooks/wechat/webhook", "http://127.0.0.1:8011/")
    assert endpoints(none, {"RASA_PORT": "6005", "WECHAT_FAKE_PORT": "9011"}) == (
        "http://127.0.0.1:6005/webhooks/wechat/webhook", "http://127.0.0.1:9011/")
    given = argparse.Namespace(url="http://h/webhook", fake_api="http://f/")
    assert endpoints(given, {"RASA_PORT": "6005", "WECHAT_FAKE_PORT": "9011"}) == ("http://h/webhook", "http://f/")
