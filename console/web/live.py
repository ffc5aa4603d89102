"""``GET /events``: the Server-Sent Events stream a signed-in page listens to.

Each ``change`` event names the conversations that changed (a new message, a claim, a
transfer…); the page then re-reads the parts that show them. Same origin only: a request a
browser marks cross-site, or with a foreign ``Origin``, is refused. The stream ends when the
sign-in does (checked at each heartbeat) or the server stops.
"""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

from console.web.feed import Change
from console.web.guard import SESSION_COOKIE, same_origin
from console.web.permits import Permission, require
from console.web.services import services

HEARTBEAT_SECONDS = 15.0
STREAM_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
                  "X-Accel-Buffering": "no"}


async def events(request: web.Request) -> web.StreamResponse:
    require(request, Permission.HANDLE)
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin" \
            or not same_origin(request, allow_missing=True):
        raise web.HTTPForbidden(text="实时更新只对本站页面开放")
    response = web.StreamResponse(headers=STREAM_HEADERS)
    await response.prepare(request)
    await response.write(b"retry: 2000\n\n")
    found, token = services(request), request.cookies.get(SESSION_COOKIE, "")
    with found.feed.subscribe() as changes:
        while True:
            try:
                change = await asyncio.wait_for(changes.get(), HEARTBEAT_SECONDS)
            except asyncio.TimeoutError:
                if await found.signins.find(token, touch=False) is None:
                    break
                await response.write(b": alive\n\n")
                continue
            if change is None:
                break
            await response.write(encode(change))
    return response


def encode(change: Change) -> bytes:
    data = json.dumps({"sessions": sorted(change.session_ids), "kinds": sorted(change.kinds)})
    return f"event: change\ndata: {data}\n\n".encode()
