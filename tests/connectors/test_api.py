"""The async WeChat API client: shared token without stampede, refresh on expiry, typed errors."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import (
    CredentialError,
    InvalidRequestError,
    ReplyWindowError,
    TokenInvalidError,
    WeChatAPIError,
    WeChatUnavailable,
)
from connectors.wechat.storage import Storage
from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_APP_SECRET
from tests.connectors.conftest import REDIS_URL, new_openid


def token_calls(fake):
    return [c for c in fake.fake.state.calls if c["path"] == "/cgi-bin/stable_token"]


@pytest.fixture(params=["in-process", "redis"])
async def storage(request, redis_prefix):
    store = Storage.in_process() if request.param == "in-process" else Storage.connect(REDIS_URL, redis_prefix)
    yield store
    await store.close()


def client_for(fake, storage, **kwargs) -> WeChatClient:
    return WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, fake.url, storage, **kwargs)


async def test_token_is_fetched_once_and_shared_without_stampede(fake, storage):
    clients = [client_for(fake, storage) for _ in range(3)]  # three "processes" on one store
    openid = new_openid()
    fake.fake.interact(openid, "message")
    fake.fake.state.enforce_quota = False
    try:
        await asyncio.gather(*(c.send_text(openid, f"消息{i}") for i, c in enumerate(clients * 5)))
    finally:
        for c in clients:
            await c.close()
    assert len(token_calls(fake)) == 1
    assert len(fake.fake.state.messages) == 15


async def test_expired_token_mid_run_is_refreshed_and_the_call_retried_once(fake, storage):
    client = client_for(fake, storage)
    openid = new_openid()
    fake.fake.state.enforce_quota = False
    await client.send_text(openid, "一")
    fake.fake.expire_tokens()  # WeChat expires the token while we still trust our cache
    await client.send_text(openid, "二")
    await client.close()
    sends = [c for c in fake.fake.state.calls if c["path"] == "/cgi-bin/message/custom/send"]
    assert [c["errcode"] for c in sends] == [0, 42001, 0]
    assert len(token_calls(fake)) == 2
    assert [m["text"] for m in fake.fake.state.messages] == ["一", "二"]


async def test_invalid_token_is_force_refreshed_when_stable_token_returns_it_again(fake, storage):
    client = client_for(fake, storage)
    fake.fake.state.enforce_quota = False
    await client.send_text(new_openid(), "一")
    async with aiohttp.ClientSession() as session:  # WeChat says 40001 although the token is current
        await session.post(fake.url + "_fake/fail", json={"path": "/cgi-bin/message/custom/send",
                                                           "errcode": 40001, "times": 1})
    await client.send_text(new_openid(), "二")
    await client.close()
    bodies = [c["body"] for c in token_calls(fake)]
    assert [b["force_refresh"] for b in bodies] == [False, False, True]


async def test_refresh_is_tried_only_once(fake, storage):
    client = client_for(fake, storage)
    async with aiohttp.ClientSession() as session:
        await session.post(fake.url + "_fake/fail", json={"path": "/cgi-bin/message/custom/send",
                                                           "errcode": 42001, "times": 5})
    with pytest.raises(TokenInvalidError) as raised:
        await client.send_text(new_openid(), "一")
    await client.close()
    assert raised.value.errcode == 42001
    assert len([c for c in fake.fake.state.calls if c["path"] == "/cgi-bin/message/custom/send"]) == 2


async def test_token_is_refreshed_ahead_of_expiry_by_one_holder(fake, storage):
    now = [1_000_000.0]
    fake.fake.state.token_ttl = 3600
    clients = [client_for(fake, storage, clock=lambda: now[0]) for _ in range(4)]
    first = await clients[0].access_token()
    now[0] += 3600 - 30 - 200  # 200 s before our expiry: inside the 300 s refresh-ahead window
    fake.fake.state.stable_token = None  # WeChat would now hand out a new one
    tokens = await asyncio.gather(*(c.access_token() for c in clients))
    assert len(set(tokens)) <= 2
    later = await clients[1].access_token()
    for c in clients:
        await c.close()
    assert len(token_calls(fake)) == 2  # one early refresh, not four
    assert first in tokens  # the others kept using the still-valid token meanwhile
    assert later != first  # and afterwards everyone uses the new one


async def test_typed_errors_carry_errcode_and_errmsg(fake, storage):
    bad = WeChatClient(DEMO_APP_ID, "wrong-secret", fake.url, storage)
    with pytest.raises(CredentialError) as raised:
        await bad.send_text(new_openid(), "x")
    await bad.close()
    assert raised.value.errcode == 40125 and raised.value.errmsg == "invalid appsecret"
    client = client_for(fake, storage)
    with pytest.raises(ReplyWindowError) as raised:  # no interaction within 48 h
        await client.send_text(new_openid(), "x")
    assert raised.value.errcode == 45015
    with pytest.raises(InvalidRequestError) as raised:
        await client.send_template(new_openid(), "no-such-template", {"thing1": {"value": "x"}})
    assert raised.value.errcode == 40037
    await client.close()
    down = WeChatClient(DEMO_APP_ID, DEMO_APP_SECRET, "http://127.0.0.1:9/", Storage.in_process(), timeout=1)
    with pytest.raises(WeChatUnavailable) as raised:
        await down.send_text(new_openid(), "x")
    await down.close()
    assert isinstance(raised.value, WeChatAPIError) and raised.value.errcode == -1


async def test_menu_create_and_get(fake, storage):
    from connectors.wechat.menu import Menu

    client = client_for(fake, storage)
    assert (await client.get_menu())["is_menu_open"] == 0
    await client.create_menu(Menu.load().to_wechat())
    current = await client.get_menu()
    await client.close()
    names = [b["name"] for b in current["selfmenu_info"]["button"]]
    assert names == ["办事指南", "预约办理", "更多服务"]
    assert "payload" not in str(current)
