"""Receives the portal's webhook (application status changes, bookings) and sends template messages.

The portal posts JSON such as ``{"event": "application.status_changed", "openid": ...,
"application_id": ..., "item_name": ..., "status": ..., "current": {...}, "next_step": ...}``, and
``"channel"`` when the portal knows the channel the citizen used (events of other channels are left
to them: a REST sender's id is no openid). It is signed with ``PORTAL_WEBHOOK_SECRET``:
``X-Portal-Signature`` is the hex HMAC-SHA256 of the body or, when the portal also sends
``X-Portal-Timestamp`` (Unix seconds), of ``<timestamp>.<body>``; such a timestamp must be within
:data:`TIMESTAMP_WINDOW` of now, so a captured post cannot be replayed later. A post is accepted
only with a valid signature: without a secret configured, every post is refused (each one would make
the account send a template message to any openid named in it), and that is logged once at start.
One core (:class:`PortalEvents`) with two thin adapters: the Rasa channel's ``POST
/webhooks/wechat/portal`` and the aiohttp app of :func:`init_app` (a process of its own). The portal
retries on 5xx, so WeChat outages answer 502, and final refusals answer 4xx/200/202.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any, AsyncIterator, Callable, Dict, Optional, Tuple

from aiohttp import web

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import InvalidRequestError, UserRefusedError, WeChatAPIError, WeChatUnavailable
from connectors.wechat.signing import is_ascii_number
from connectors.wechat.templates import Templates
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
TIMESTAMP_WINDOW = 300  # seconds, as for WeChat's own pushes
CHANNEL = "wechat"  # WeChatInput.name(): events for conversations on other channels are not ours
_EVENTS = {
    "application.status_changed": "status_changed",
    "appointment.booked": "booking_confirmed",
    "appointment.confirmed": "booking_confirmed",
    "appointment.reminder": "booking_reminder",
}


def announce(enabled: bool) -> None:
    """Says at start-up that notifications are off, instead of at each refused post."""
    if not enabled:
        logger.warning("portal notifications are disabled: PORTAL_WEBHOOK_SECRET is unset, so every post to "
                       "the portal receiver is refused; set the same secret here and on the portal")


def sign(secret: str, body: bytes, timestamp: Optional[str] = None) -> str:
    """``X-Portal-Signature`` of ``body`` (bound to ``timestamp`` when one is sent)."""
    message = body if timestamp is None else timestamp.encode("utf-8") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class PortalEvents:
    def __init__(self, client: WeChatClient, templates: Templates, secret: Optional[str] = None,
                 now: Callable[[], float] = time.time):
        self._client = client
        self._templates = templates
        self._secret = secret
        self._now = now

    @property
    def enabled(self) -> bool:
        return bool(self._secret)

    def _signed(self, body: bytes, signature: Optional[str], timestamp: Optional[str]) -> bool:
        """Constant-time check of the signature (as bytes: a header may hold any character)."""
        if not self._secret or not signature:
            return False
        if timestamp is not None and not (is_ascii_number(timestamp, 12)
                                          and abs(self._now() - int(timestamp)) <= TIMESTAMP_WINDOW):
            return False
        expected = sign(self._secret, body, timestamp).encode("ascii")
        return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))

    async def handle(self, body: bytes, signature: Optional[str],
                     timestamp: Optional[str] = None) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, JSON answer) for one webhook delivery."""
        if len(body) > MAX_BODY:
            return 413, {"error": "payload_too_large"}
        if not self._secret:
            return 403, {"error": "notifications_disabled"}
        if not self._signed(body, signature, timestamp):
            logger.warning("portal webhook with a missing, wrong or stale %s refused", SIGNATURE_HEADER)
            return 401, {"error": "bad_signature"}
        try:
            event = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested deeper than Python recurses
            return 400, {"error": "invalid_json"}
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            return 400, {"error": "event_required"}
        if not isinstance(event.get("current") or {}, dict):
            return 400, {"error": "current_must_be_an_object"}
        kind = _EVENTS.get(event["event"])
        if kind is None:
            return 202, {"sent": False, "reason": "event not handled"}
        openid = event.get("openid")
        if not openid or not isinstance(openid, str):
            return 202, {"sent": False, "reason": "no bound openid"}
        if event.get("channel", CHANNEL) != CHANNEL:  # the citizen booked or asked on another channel
            return 202, {"sent": False, "reason": "the citizen's conversation is on another channel"}
        try:
            if kind == "status_changed":
                msgid = await self._templates.status_changed(self._client, openid, event)
            elif kind == "booking_confirmed":
                msgid = await self._templates.booking_confirmed(self._client, openid, event)
            else:
                msgid = await self._templates.booking_reminder(self._client, openid, event)
        except UserRefusedError as error:
            return 200, {"sent": False, "errcode": error.errcode, "errmsg": error.errmsg}
        except InvalidRequestError as error:
            logger.error("template %s for %s refused: %s", kind, mask_openid(openid), error)
            return 200, {"sent": False, "errcode": error.errcode, "errmsg": error.errmsg}
        except (WeChatUnavailable, WeChatAPIError) as error:
            logger.error("template %s for %s not sent: %s", kind, mask_openid(openid), error)
            return 502, {"sent": False, "errcode": error.errcode, "errmsg": error.errmsg}
        logger.info("template %s sent to %s for %s", kind, mask_openid(openid), event["event"])
        return 200, {"sent": True, "msgid": msgid}


async def aiohttp_handler(request: web.Request) -> web.Response:
    """``POST /portal/events``: the aiohttp adapter of :class:`PortalEvents`."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.json_response({"error": "payload_too_large"}, status=413)
    body = await request.content.read(MAX_BODY + 1)
    status, answer = await request.app[EVENTS].handle(body, request.headers.get(SIGNATURE_HEADER),
                                                      request.headers.get(TIMESTAMP_HEADER))
    return web.json_response(answer, status=status)


EVENTS = web.AppKey("portal_events", PortalEvents)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def init_app(events: PortalEvents, client: Optional[WeChatClient] = None) -> web.Application:
    """A standalone receiver (``govbot wechat notify``) for deployments that keep it apart."""
    app = web.Application(client_max_size=MAX_BODY)
    app[EVENTS] = events
    announce(events.enabled)
    app.router.add_post("/portal/events", aiohttp_handler)
    app.router.add_get("/healthz", healthz)

    async def client_lifetime(_: web.Application) -> AsyncIterator[None]:
        yield
        if client is not None:
            await client.close()

    app.cleanup_ctx.append(client_lifetime)
    return app
