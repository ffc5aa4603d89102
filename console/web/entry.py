"""Signing in and out. A good password starts a server-side sign-in (``signins``) and sets its
token in an HttpOnly, SameSite=Strict cookie; too many failures of a login refuse it untried."""
from __future__ import annotations

import secrets
from typing import Any, Dict

import aiohttp_jinja2
from aiohttp import web

from console.web.guard import CSRF_FIELD, PRESIGN_COOKIE, SESSION_COOKIE
from console.web.permits import signed_in
from console.web.services import services

MAX_FIELD_CHARS = 200


async def sign_in_form(request: web.Request) -> web.Response:
    return _form(request, {})


async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login, password = str(form.get("login", ""))[:MAX_FIELD_CHARS].strip(), str(form.get("password", ""))
    found = services(request)
    if await found.signins.throttled(login):
        return _form(request, {"error": "失败次数过多，请 15 分钟后再试", "login": login}, status=429)
    staff = await found.accounts.verify(login, password[:MAX_FIELD_CHARS])
    if staff is None:
        return _form(request, {"error": "账号或密码不正确", "login": login}, status=401)
    token = await found.signins.start(staff)
    response = web.HTTPSeeOther(_safe_next(request.query.get("next", "")))
    _set_cookie(request, response, SESSION_COOKIE, token, found.settings.session_minutes * 60)
    response.del_cookie(PRESIGN_COOKIE, path="/")
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    current = signed_in(request)
    await services(request).signins.end(current.token_hash, current.staff.id)
    response = web.HTTPSeeOther("/signin")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def _form(request: web.Request, context: Dict[str, Any], status: int = 200) -> web.Response:
    """The sign-in page with the double-submit token in the form and in its cookie; a token the
    browser already holds is kept, so that a second sign-in page (another tab, the browser's own
    favicon request redirected here) does not void the first one's form."""
    token = request.cookies.get(PRESIGN_COOKIE) or secrets.token_urlsafe(32)
    response = aiohttp_jinja2.render_template("signin.html", request, {
        **context, "csrf_field": CSRF_FIELD, "presign_token": token, "next": _safe_next(request.query.get("next", ""))},
        status=status)
    _set_cookie(request, response, PRESIGN_COOKIE, token, 3600)
    return response


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=request.secure)


def _safe_next(target: str) -> str:
    """Only a path of this site: never ``//elsewhere`` or ``https://elsewhere``."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
