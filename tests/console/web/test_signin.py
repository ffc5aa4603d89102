"""Signing in and out: a good password starts a sign-in kept server-side behind an HttpOnly,
SameSite=Strict cookie; a bad one does not; failures are throttled; a sign-in ends at sign-out,
when left idle, and at its absolute end, on a moving clock."""
from __future__ import annotations

from datetime import timedelta

from console import audit
from tests.console.web.conftest import Desk, presign


async def _attempt(desk: Desk, login: str, password: str):
    return await desk.post("/signin", {"login": login, "password": password}, csrf=await presign(desk))


async def test_a_good_password_signs_in_with_a_strict_http_only_cookie(aiohttp_client, console, team, engine):
    browser = Desk(await aiohttp_client(console.server), origin=str(console.make_url("/")).rstrip("/"))
    response = await _attempt(browser, "wang", "correct horse battery")
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = next(value for key, value in response.headers.items() if key == "Set-Cookie"
                  and value.startswith("console_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "王小明" in await browser.page("/queue")
    assert [e.action for e in await audit.entries(engine, audit.staff_target(team.wang.id))][-1] == "sign_in"


async def test_a_wrong_password_or_unknown_login_does_not_sign_in(aiohttp_client, console, team, engine):
    browser = Desk(await aiohttp_client(console.server), origin=str(console.make_url("/")).rstrip("/"))
    for login, password in (("wang", "wrong password!"), ("nobody", "correct horse battery")):
        response = await _attempt(browser, login, password)
        assert response.status == 401 and "账号或密码不正确" in await response.text()
        assert "console_session" not in response.cookies
    assert (await browser.get("/queue")).status == 303
    failed = [e.target for e in await audit.entries(engine) if e.action == "sign_in_failed"]
    assert failed == ["login:wang", "login:nobody"]


async def test_failed_sign_ins_are_throttled_per_login(aiohttp_client, console, team, clock):
    browser = Desk(await aiohttp_client(console.server), origin=str(console.make_url("/")).rstrip("/"))
    for _ in range(5):
        assert (await _attempt(browser, "wang", "not the password")).status == 401
    refused = await _attempt(browser, "wang", "correct horse battery")
    assert refused.status == 429 and "失败次数过多" in await refused.text()
    assert (await _attempt(browser, "li", "correct horse battery")).status == 303  # other logins unaffected
    clock.now += timedelta(minutes=16)
    assert (await _attempt(browser, "wang", "correct horse battery")).status == 303


async def test_sign_out_revokes_the_sign_in(desk, engine, team):
    wang = await desk("wang")
    token = wang.client.session.cookie_jar.filter_cookies(wang.client.make_url("/"))["console_session"].value
    response = await wang.post("/signout")
    assert response.status == 303 and response.headers["Location"] == "/signin"
    wang.client.session.cookie_jar.update_cookies({"console_session": token})  # the old cookie, replayed
    assert (await wang.get("/queue")).status == 303
    assert "sign_out" in [e.action for e in await audit.entries(engine, audit.staff_target(team.wang.id))]


async def test_a_sign_in_left_idle_expires(desk, clock):
    wang = await desk("wang")
    clock.now += timedelta(minutes=29)
    assert (await wang.get("/queue")).status == 200  # in use: the idle time starts again
    clock.now += timedelta(minutes=29)
    assert (await wang.get("/queue")).status == 200
    clock.now += timedelta(minutes=31)
    response = await wang.get("/queue")
    assert response.status == 303 and response.headers["Location"].startswith("/signin?next=")
    assert (await wang.post("/conversations/1/claim")).status == 401


async def test_a_sign_in_in_use_ends_after_the_session_minutes(desk, clock):
    wang = await desk("wang")
    for _ in range(23):  # 23 × 20 min = 7 h 40 min, used all along
        clock.now += timedelta(minutes=20)
        assert (await wang.get("/queue")).status == 200
    clock.now += timedelta(minutes=20)  # 8 hours
    assert (await wang.get("/queue")).status == 303


async def test_pages_need_a_sign_in(aiohttp_client, console):
    browser = Desk(await aiohttp_client(console.server))
    for path in ("/", "/queue", "/mine", "/everyone", "/tickets", "/search", "/conversations/1", "/quick-replies"):
        response = await browser.get(path)
        assert response.status == 303 and response.headers["Location"].startswith(("/signin", "/queue")), path
    assert (await browser.get("/queue/live", headers={"X-Live": "1"})).status == 401
    assert (await browser.get("/events", headers={"X-Live": "1"})).status == 401
