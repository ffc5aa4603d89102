"""CSRF: every state-changing request without the sign-in's token, with a wrong one, or from a
foreign or unknown origin is refused with 403 and changes nothing (state, audit log, messages)."""
from __future__ import annotations

import pytest

from console import audit
from console.handoff import State
from console.messages import Direction
from tests.console.web.conftest import OPENID, Desk

FOREIGN = "https://evil.example"


async def _snapshot(engine, sessions, transcripts, session_id):
    return ((await sessions.get(session_id)), len(await audit.entries(engine)), await transcripts.of(session_id))


@pytest.mark.parametrize("csrf, origin", [
    ("", None),  # no token
    ("not-the-token", None),  # a wrong token
    (None, FOREIGN),  # the right token from a foreign page
    (None, "null"),  # an opaque origin (sandboxed frame, data: URL)
    (None, ""),  # no Origin, no Referer
])
async def test_refused_moves_change_nothing(desk, sessions, transcripts, engine, csrf, origin):
    waiting = await sessions.open("wechat", OPENID, "user_request")
    held = await sessions.open("wechat", OPENID + "2", "user_request")
    wang = await desk("wang")
    assert (await wang.post(f"/conversations/{held.id}/claim")).status == 303
    await transcripts.add(held.id, Direction.CITIZEN, text="你好")
    before = [await _snapshot(engine, sessions, transcripts, s.id) for s in (waiting, held)]
    for path, data in ((f"/conversations/{waiting.id}/claim", {}),
                       (f"/conversations/{held.id}/reply", {"text": "您好"}),
                       (f"/conversations/{held.id}/close", {"note": "x"}),
                       (f"/conversations/{held.id}/hand_back", {}),
                       (f"/conversations/{held.id}/release", {}),
                       ("/signout", {})):
        response = await wang.post(path, data, csrf=csrf, origin=origin)
        assert response.status == 403 and "请求来源无法验证" in await response.text(), path
    assert [await _snapshot(engine, sessions, transcripts, s.id) for s in (waiting, held)] == before
    assert (await wang.get("/queue")).status == 200  # still signed in: the sign-out was refused too


async def test_a_referer_of_this_site_stands_in_for_a_missing_origin(desk, sessions):
    waiting = await sessions.open("wechat", OPENID, "user_request")
    wang = await desk("wang")
    response = await wang.client.post(f"/conversations/{waiting.id}/claim", data={"_csrf": wang.csrf},
                                      headers={"Referer": f"{wang.origin}/queue"}, allow_redirects=False)
    assert response.status == 303 and (await sessions.get(waiting.id)).state is State.WITH_STAFF


async def test_the_token_of_another_sign_in_is_refused(desk, sessions):
    waiting = await sessions.open("wechat", OPENID, "user_request")
    wang, li = await desk("wang"), await desk("li")
    assert (await wang.post(f"/conversations/{waiting.id}/claim", csrf=li.csrf)).status == 403
    assert (await sessions.get(waiting.id)).state is State.WAITING


async def test_the_sign_in_form_needs_its_own_token(aiohttp_client, console, team, engine):
    browser = Desk(await aiohttp_client(console.server), origin=str(console.make_url("/")).rstrip("/"))
    await browser.page("/signin")  # sets the form's cookie
    for csrf, origin in (("", None), ("forged", None), (None, FOREIGN)):
        form = {"login": "wang", "password": "correct horse battery"}
        token = (await browser.page("/signin")).split('name="_csrf" value="')[1].split('"')[0]
        response = await browser.post("/signin", form, csrf=token if csrf is None else csrf, origin=origin)
        assert response.status == 403
    assert not [e for e in await audit.entries(engine) if e.action.startswith("sign_in")]


async def test_the_event_stream_refuses_other_sites(desk):
    wang = await desk("wang")
    for headers in ({"Origin": FOREIGN}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        response = await wang.get("/events", headers=headers)
        assert response.status == 403, headers
