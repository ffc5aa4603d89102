"""The middlewares every request passes: errors as Chinese pages, security headers, who is
signed in, and CSRF on every state-changing request.

CSRF is refused twice over: the request's ``Origin`` (or, lacking it, ``Referer``) must be this
host, and it must carry the sign-in's token (form field ``_csrf`` or header ``X-CSRF-Token``).
Before sign-in, the sign-in form's token is a random value also set in a SameSite=Strict cookie
(double submit). The session cookie itself is HttpOnly and SameSite=Strict.
"""
from __future__ import annotations

import hmac
import logging
from typing import Awaitable, Callable, Optional
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web

from console.web.permits import SIGN_IN
from console.web.services import services

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION_COOKIE = "console_session"
PRESIGN_COOKIE = "console_presign"  # the sign-in form's CSRF token, before there is a session
CSRF_FIELD, CSRF_HEADER = "_csrf", "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = ("/signin", "/static/", "/favicon.ico")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP errors as a short Chinese page; anything unexpected is logged and never shown."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _error_page(request, error.status, _own_text(error))
    except Exception:  # noqa: BLE001 - the last line of defence, logged with its trace
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(request, 500, "服务暂时不可用，请稍后再试")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, errors and static files included (``on_response_prepare``)."""
    response.headers.update(HEADERS)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def who_signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    sign_in = await services(request).signins.find(token) if token else None
    if sign_in is not None:
        request[SIGN_IN] = sign_in
    elif not request.path.startswith(PUBLIC_PATHS):
        if request.method == "GET" and "X-Live" not in request.headers:
            raise web.HTTPSeeOther(f"/signin?next={quote(request.path_qs, safe='')}")
        raise web.HTTPUnauthorized(text="登录已失效，请重新登录")
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in SAFE_METHODS:
        if not same_origin(request) or not _token_matches(await _given_token(request), _expected_token(request)):
            logger.warning("refused a %s %s: cross-site or without its CSRF token", request.method, request.path)
            raise web.HTTPForbidden(text="请求来源无法验证，请刷新页面后重试")
    return await handler(request)


def same_origin(request: web.Request, allow_missing: bool = False) -> bool:
    """Whether the request says it comes from a page of this host (``allow_missing``: or says nothing)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return allow_missing and "Origin" not in request.headers
    return urlsplit(source).netloc == request.host


def _expected_token(request: web.Request) -> Optional[str]:
    sign_in = request.get(SIGN_IN)
    return sign_in.csrf_token if sign_in is not None else request.cookies.get(PRESIGN_COOKIE)


async def _given_token(request: web.Request) -> Optional[str]:
    if CSRF_HEADER in request.headers:
        return request.headers[CSRF_HEADER]
    given = (await request.post()).get(CSRF_FIELD)
    return given if isinstance(given, str) else None


def _token_matches(given: Optional[str], expected: Optional[str]) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


def _own_text(error: web.HTTPException) -> str:
    """The handler's message, not aiohttp's default ``403: Forbidden``."""
    text = error.text or ""
    return "" if text.startswith(f"{error.status}:") else text


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    titles = {401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "请求方式不正确", 429: "操作过于频繁"}
    context = {"status": status, "title": titles.get(status, "出错了"), "message": message}
    return aiohttp_jinja2.render_template("error.html", request, context, status=status)
