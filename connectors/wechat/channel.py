"""The Rasa custom channel ``wechat``: the official account's webhook inside the Rasa server.

Enabled in ``credentials.yml`` as ``connectors.wechat.channel.WeChatInput:`` (Rasa loads
custom channels by module path); it serves

- ``GET  /webhooks/wechat/``         health
- ``GET  /webhooks/wechat/webhook``  WeChat's URL verification (signed ``echostr``)
- ``POST /webhooks/wechat/webhook``  messages and events (CONTRACT.md §3)
- ``POST /webhooks/wechat/portal``   the portal's status-change webhook → template messages
- ``POST /webhooks/wechat/staff/…``  staff replies from the console (``staff``), behind the API token

While a conversation is with staff in the console (``HANDOFF_MODE=console``), its messages are
stored for them (``desk``) and the assistant stays out; with ``HANDOFF_MODE=wechat`` they go to
WeChat's own customer service until it closes the session (``transfer``).

A request that fails the size limit, the signature, the timestamp window, XML parsing, the
addressee (``ToUserName``) or the nonce cache (a signed query string reused with another body,
see ``replay``) is answered 4xx and processed not at all. Storage, the WeChat API client and
the turn logic are created on the first request, inside the server's event loop, and closed
when it stops.
"""
from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.wechat.api import WeChatClient
from connectors.wechat.desk import StaffDesk
from connectors.wechat.envelope import Envelope, MalformedMessageError, render_text_reply
from connectors.wechat.inbound import ForeignAccountError, classify
from connectors.wechat.menu import Menu
from connectors.wechat.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, PortalEvents, announce
from connectors.wechat.outbox import Outbox
from connectors.wechat.output import CustomerServiceOutput
from connectors.wechat.replay import ReplayGuard
from connectors.wechat.settings import WeChatSettings
from connectors.wechat.signing import SignatureError
from connectors.wechat.staff import SEND_PATH, TYPING_PATH, WINDOW_PATH, StaffRoute
from connectors.wechat.storage import Storage, StorageUnavailable, open_storage
from connectors.wechat.templates import Templates
from connectors.wechat.transfer import TRANSFER, render_transfer_reply, resume
from connectors.wechat.turns import Turns
from console.db import create_engine
from console.hours import StaffHours
from console.messages import Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


class WeChatInput(InputChannel):
    """WeChat official-account webhook (明文、兼容、安全模式)."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Settings from ``credentials.yml`` first, then the environment; fails loudly when missing."""
        settings = WeChatSettings.from_sources(credentials, os.environ)
        console = ConsoleSettings.from_env(os.environ)
        if not settings.redis_url and settings.sanic_workers > 1:
            logger.warning("SANIC_WORKERS > 1 without REDIS_URL: each worker dedups and orders messages on its "
                           "own; set REDIS_URL so that retries reaching another worker are recognised")
        return cls(settings, console=console)

    def __init__(self, settings: WeChatSettings, menu: Optional[Menu] = None, storage: Optional[Storage] = None,
                 clock: Callable[[], float] = time.time, console: Optional[ConsoleSettings] = None) -> None:
        """``console``: the staff console's settings; None, or ``HANDOFF_MODE=wechat``: no console."""
        self.settings = settings
        self.console = console
        self._console_engine: Any = None
        self._desk: Optional[StaffDesk] = None
        self.menu = menu or Menu.load()
        self.templates = Templates.load(template_ids=settings.template_ids)
        self.envelope = Envelope(settings, clock)
        self._clock = clock
        self._given_storage = storage
        self._storage: Optional[Storage] = None
        self._client: Optional[WeChatClient] = None
        self._outbox: Optional[Outbox] = None
        self._turns: Optional[Turns] = None
        self._portal: Optional[PortalEvents] = None
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self._app: Any = None  # the Rasa server's Sanic app, whose ``ctx.agent`` runs the turns
        logger.info("WeChat channel ready: %s mode, %s storage, API at %s", settings.mode,
                    "Redis" if settings.redis_url or storage else "in-process", settings.api_base_url)
        announce(bool(settings.portal_webhook_secret))

    # ------------------------------------------------------------ runtime

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = self._given_storage or open_storage(self.settings.redis_url, self.settings.key_prefix)
        return self._storage

    @property
    def client(self) -> WeChatClient:
        if self._client is None:
            self._client = WeChatClient.from_settings(self.settings, self.storage)
        return self._client

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.storage, self.client)
        return self._outbox

    @property
    def turns(self) -> Turns:
        if self._turns is None:
            if self._on_new_message is None:
                raise RuntimeError("the channel's blueprint has not been registered")
            # Built at the first push, once the server's agent is known: only Rasa's has a tracker.
            tracked = getattr(self._agent, "tracker_store", None) is not None
            self._turns = Turns(self.storage, self.outbox, self.menu, self._on_new_message,
                                passive_timeout=self.settings.passive_timeout,
                                is_paused=self._is_paused if tracked else None,
                                rate_per_minute=self.settings.user_rate_per_minute,
                                rate_burst=self.settings.user_rate_burst, desk=self.desk,
                                kf_resume=self._resume if self.console and not self.console.uses_console else None)
        return self._turns

    @property
    def desk(self) -> Optional[StaffDesk]:
        """The console's sessions and transcripts on ``CONSOLE_DATABASE_URL`` (migrated by the action
        server, which opens the sessions), or None without the console."""
        if self._desk is None and self.console is not None and self.console.uses_console:
            self._console_engine = create_engine(self.console.database_url)
            hours = StaffHours(self.console.staff_hours)
            self._desk = StaffDesk(Sessions(self._console_engine, hours), Transcripts(self._console_engine))
        return self._desk

    @property
    def staff_route(self) -> StaffRoute:
        return StaffRoute(self.console.rasa_token if self.console else None, self.outbox, self.client)

    @property
    def replay_guard(self) -> ReplayGuard:
        """Per request (it holds no state of its own): the store behind it may be reopened."""
        return ReplayGuard(self.storage, self.settings.timestamp_window, self._clock)

    @property
    def portal_events(self) -> PortalEvents:
        if self._portal is None:
            self._portal = PortalEvents(self.client, self.templates, self.settings.portal_webhook_secret)
        return self._portal

    async def close(self) -> None:
        """Lets turns in flight finish, then closes the HTTP session and the store."""
        if self._turns is not None:
            await self._turns.close()
        if self._client is not None:
            await self._client.close()
        if self._storage is not None and self._given_storage is None:
            await self._storage.close()
        if self._console_engine is not None:
            await self._console_engine.dispose()
        self._turns = self._client = self._outbox = self._portal = self._storage = None
        self._desk = self._console_engine = None

    def get_output_channel(self) -> OutputChannel:
        """Messages outside a user's turn (e.g. ``trigger_intent``) go through the customer-service API."""
        return CustomerServiceOutput(lambda openid, texts: self.outbox.send(openid, texts))

    async def _is_paused(self, openid: str) -> bool:
        """Whether the conversation is paused (handed to staff), from Rasa's own tracker store
        (given to the turns only when the agent has one)."""
        tracker = await self._agent.tracker_store.retrieve(openid)
        return tracker is not None and tracker.is_paused()

    async def _resume(self, openid: str) -> bool:
        """WeChat's customer service closed the session: the assistant takes the conversation back."""
        return self._agent is not None and await resume(self._agent, openid)

    @property
    def _agent(self) -> Any:
        """The Rasa server's agent (its tracker and lock stores), once the server started."""
        return getattr(self._app and self._app.ctx, "agent", None)

    # ------------------------------------------------------------ HTTP

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._on_new_message = on_new_message
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self.settings.mode,
                                  "storage": type(self.storage).__name__})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                return response.text(self.envelope.verify_url(_query(request)))
            except SignatureError as error:
                logger.warning("URL verification refused from %s: %s", request.remote_addr or request.ip, error)
                return response.text("forbidden", status=403)
            except MalformedMessageError as error:
                return response.text(str(error), status=400)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> Optional[HTTPResponse]:  # None: the turn answered
            return await self._receive(request)

        @webhook.route("/portal", methods=["POST"], stream=True)
        async def portal(request: Request) -> HTTPResponse:
            try:
                body = await _read_body(request, self.settings.max_body_bytes)
            except BodyTooLarge:
                return response.json({"error": "payload_too_large"}, status=413)
            status, answer = await self.portal_events.handle(body, request.headers.get(SIGNATURE_HEADER),
                                                             request.headers.get(TIMESTAMP_HEADER))
            return response.json(answer, status=status)

        @webhook.route(SEND_PATH.removeprefix("/webhooks/wechat"), methods=["POST"])
        async def staff_send(request: Request) -> HTTPResponse:
            return await self._staff(request, self.staff_route.send)

        @webhook.route(TYPING_PATH.removeprefix("/webhooks/wechat"), methods=["POST"])
        async def staff_typing(request: Request) -> HTTPResponse:
            return await self._staff(request, self.staff_route.typing)

        @webhook.route(WINDOW_PATH.removeprefix("/webhooks/wechat"), methods=["POST"])
        async def staff_window(request: Request) -> HTTPResponse:
            return await self._staff(request, self.staff_route.window)

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, *_: Any) -> None:
            self._app = app

        @webhook.listener("after_server_stop")
        async def stop(*_: Any) -> None:
            await self.close()

        return webhook

    async def _staff(self, request: Request, handle: Callable[[Any], Awaitable[Any]]) -> HTTPResponse:
        if not self.staff_route.allowed(request.headers.get("authorization")):
            return response.json({"error": "forbidden"}, status=403)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return response.json({"error": "a JSON body is required"}, status=400)
        status, answer = await handle(body)
        return response.json(answer, status=status)

    async def _receive(self, request: Request) -> Optional[HTTPResponse]:
        query = _query(request)
        try:
            self.envelope.verify(query)  # before reading any body
        except SignatureError as error:
            logger.warning("refused an unsigned or stale push from %s: %s", request.ip, error)
            return response.text("forbidden", status=403)
        try:
            body = await _read_body(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            logger.warning("refused a body over %d bytes from %s", self.settings.max_body_bytes, request.ip)
            return response.text("payload too large", status=413)
        try:
            push = self.envelope.open(body, query)
            inbound = classify(push, self.menu, max_text_chars=self.settings.max_content_chars,
                               account_id=self.settings.account_id)
            await self.replay_guard.check(query, body)
        except (SignatureError, ForeignAccountError) as error:
            logger.warning("refused an unsigned, stale, replayed or misaddressed push from %s: %s", request.ip, error)
            return response.text("forbidden", status=403)
        except MalformedMessageError as error:
            logger.warning("refused a malformed push from %s: %s", request.ip, error)
            return response.text("bad request", status=400)
        except StorageUnavailable as error:
            logger.error("cannot check a push for replay: %s", error)
            return response.text("storage unavailable", status=503)
        logger.debug("push %s (%s) from %s", inbound.key, inbound.kind, mask_openid(inbound.openid))

        def answer_for(text: Optional[str]) -> HTTPResponse:
            if text is None:
                return response.text("success")
            reply = (render_transfer_reply(inbound.openid, inbound.account) if text == TRANSFER
                     else render_text_reply(inbound.openid, inbound.account, text))
            return response.text(self.envelope.seal(reply, query.get("nonce") or "", push.encrypted),
                                 content_type="application/xml; charset=utf-8")

        async def respond(text: Optional[str]) -> None:  # by the turn, while this handler waits
            answered = await request.respond(answer_for(text))
            await answered.send(end_stream=True)

        try:
            answer = await self.turns.handle(inbound, respond)
        except StorageUnavailable as error:
            logger.error("cannot take push %s: %s", inbound.key, error)
            return response.text("storage unavailable", status=503)
        return None if request.responded else answer_for(answer)


def _query(request: Request) -> Dict[str, str]:
    return {name: request.args.get(name) for name in request.args}


async def _read_body(request: Request, limit: int) -> bytes:
    """Reads at most ``limit`` bytes; refuses early on a larger Content-Length."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge()
    if request.stream is None:
        return request.body or b""
    request.stream.request_max_size = limit
    chunks: List[bytes] = []
    try:
        async for chunk in request.stream:
            chunks.append(chunk)
    except PayloadTooLarge:
        raise BodyTooLarge() from None
    return b"".join(chunks)
