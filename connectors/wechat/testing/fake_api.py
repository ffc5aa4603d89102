"""A fake WeChat server API for local chat, tests and load runs (``govbot fake-wechat``).

It answers the calls the connector makes the way ``api.weixin.qq.com`` does, with the real
error codes (全局返回码 https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html):
``cgi-bin/token`` and ``cgi-bin/stable_token`` (40002, 40013, 40125), customer-service text
(41001, 40001, 42001, 40003, 44004, 45002, 45015, 45047), template messages (40037, 47003) and
menus (40016, 40018, 40019, 40023, 46003). Customer-service quota follows WeChat's rules: a user
message opens 48 h for 5 messages, a click, follow or scan 1 min for 3; the WeChat side (the
simulator, tests) reports those interactions to ``POST /_fake/interactions``.

Everything is recorded and inspectable over HTTP:

- ``GET /_fake/calls[?path=...]``, ``DELETE /_fake/calls``: the API calls, with their errcode
- ``GET /_fake/messages?openid=&after=&wait=``: what the user's WeChat shows, in order:
  customer-service texts (``kind: text``) and template messages (``kind: template``); long poll
- ``GET /_fake/templates``: delivered template messages; ``GET /_fake/menu``: the current menu
- ``POST /_fake/interactions`` ``{"openid", "kind": "message"|"event"}``
- ``POST /_fake/expire_tokens``: every issued token expires now (42001 on its next use)
- ``POST /_fake/fail`` ``{"path", "errcode", "times"}``: the next calls of a path fail so
- ``POST /_fake/config`` ``{"latency": s, "enforce_quota": bool}``
- ``POST /_fake/outage`` ``{"seconds": s}``: for ``s`` seconds (0 ends it) every API call is carried
  out but its answer is lost (the connection hangs until the client gives up), as when WeChat's
  answers stop coming back in an outage; ``FakeWeChatServer.go_down`` refuses connections instead
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from aiohttp import web

logger = logging.getLogger(__name__)

DEMO_APP_ID = "wx00000000demo0001"
DEMO_APP_SECRET = "govbot-demo-secret"  # nosec B105  # the fake API's public demo account
DEMO_TOKEN = "govbotdemotoken"  # nosec B105  # the fake API's public demo account
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DEMO_ACCOUNT = "gh_govbotdemo0001"
DEFAULT_PORT = 8011  # as connectors.wechat.cli.FAKE_PORT
MESSAGE_WINDOW = (5, 48 * 3600.0)
EVENT_WINDOW = (3, 60.0)
TEXT_LIMIT = 2048
_BUTTON_TYPES = {"click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                 "pic_photo_or_album", "pic_weixin", "location_select", "article_id", "article_view_limited"}


Handler = Callable[[web.Request], Awaitable[web.Response]]


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class _Window:
    until: float
    left: int


@dataclass
class FakeState:
    app_id: str = DEMO_APP_ID
    app_secret: str = DEMO_APP_SECRET
    token_ttl: int = 7200
    enforce_quota: bool = True
    latency: float = 0.0
    template_ids: Tuple[str, ...] = ("demo_booking_confirmed", "demo_booking_reminder", "demo_status_changed")
    clock: Callable[[], float] = time.time
    tokens: Dict[str, float] = field(default_factory=dict)  # token -> expires at
    stable_token: Optional[str] = None
    calls: List[Dict[str, Any]] = field(default_factory=list)
    messages: List[Dict[str, Any]] = field(default_factory=list)
    templates: List[Dict[str, Any]] = field(default_factory=list)
    menu: Optional[Dict[str, Any]] = None
    windows: Dict[Tuple[str, str], _Window] = field(default_factory=dict)
    failures: List[Dict[str, Any]] = field(default_factory=list)
    lost_answers_until: float = 0.0  # an outage: calls are carried out, their answers never arrive


class FakeWeChat:
    """The fake's logic; :meth:`app` serves it over HTTP."""

    def __init__(self, state: Optional[FakeState] = None):
        self.state = state or FakeState()
        self._delivered = asyncio.Condition()

    # ------------------------------------------------------------ tokens

    def _issue(self, force: bool) -> Dict[str, Any]:
        now = self.state.clock()
        current = self.state.stable_token
        if not force and current and self.state.tokens.get(current, 0) > now:
            return {"access_token": current, "expires_in": int(self.state.tokens[current] - now)}
        if force and current:
            self.state.tokens.pop(current, None)
        token = "FAKE_" + secrets.token_urlsafe(24)
        self.state.tokens[token] = now + self.state.token_ttl
        self.state.stable_token = token
        return {"access_token": token, "expires_in": self.state.token_ttl}

    def _check_credentials(self, grant_type: Any, appid: Any, secret: Any) -> None:
        if grant_type != "client_credential":
            raise WeChatError(40002, "invalid grant_type")
        if appid != self.state.app_id:
            raise WeChatError(40013, "invalid appid")
        if secret != self.state.app_secret:
            raise WeChatError(40125, "invalid appsecret")

    def _check_token(self, token: Optional[str]) -> None:
        if not token:
            raise WeChatError(41001, "access_token missing")
        expires = self.state.tokens.get(token)
        if expires is None:
            raise WeChatError(40001, "invalid credential, access_token is invalid or not latest")
        if expires <= self.state.clock():
            raise WeChatError(42001, "access_token expired")

    def expire_tokens(self) -> None:
        now = self.state.clock()
        for token in self.state.tokens:
            self.state.tokens[token] = now

    # ------------------------------------------------------------ quota

    def interact(self, openid: str, kind: str) -> None:
        count, seconds = MESSAGE_WINDOW if kind == "message" else EVENT_WINDOW
        self.state.windows[(openid, "message" if kind == "message" else "event")] = _Window(
            self.state.clock() + seconds, count)

    def _spend(self, openid: str) -> None:
        if not self.state.enforce_quota:
            return
        now = self.state.clock()
        active = [w for w in (self.state.windows.get((openid, "event")), self.state.windows.get((openid, "message")))
                  if w is not None and w.until > now]
        if not active:
            raise WeChatError(45015, "response out of time limit or subscription is canceled")
        for window in active:
            if window.left > 0:
                window.left -= 1
                return
        raise WeChatError(45047, "out of response count limit")

    # ------------------------------------------------------------ API logic

    def custom_send(self, body: Dict[str, Any]) -> Dict[str, Any]:
        openid = body.get("touser")
        if not isinstance(openid, str) or len(openid) < 8:
            raise WeChatError(40003, "invalid openid")
        if body.get("msgtype") != "text":
            raise WeChatError(40008, "invalid message type")
        content = (body.get("text") or {}).get("content")
        if not content:
            raise WeChatError(44004, "empty content")
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            raise WeChatError(45002, "content size out of limit")
        self._spend(openid)
        kf_account = (body.get("customservice") or {}).get("kf_account")
        self._deliver(openid, content, "text", kf_account)
        return {}

    def custom_typing(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """客服输入状态: needs a customer-service window, spends no quota."""
        openid = body.get("touser")
        if not isinstance(openid, str) or len(openid) < 8:
            raise WeChatError(40003, "invalid openid")
        if body.get("command") not in ("Typing", "CancelTyping"):
            raise WeChatError(40001, "invalid command")
        return {}

    def _deliver(self, openid: str, text: str, kind: str, kf_account: Optional[str] = None) -> None:
        """What the user's WeChat would show: customer-service texts (with the staff account they
        came from, if any) and template messages."""
        message = {"seq": len(self.state.messages) + 1, "openid": openid, "text": text, "kind": kind,
                   "at": self.state.clock()}
        if kf_account:
            message["kf_account"] = kf_account
        self.state.messages.append(message)

    def template_send(self, body: Dict[str, Any]) -> Dict[str, Any]:
        openid = body.get("touser")
        if not isinstance(openid, str) or len(openid) < 8:
            raise WeChatError(40003, "invalid openid")
        if body.get("template_id") not in self.state.template_ids:
            raise WeChatError(40037, "invalid template_id")
        data = body.get("data")
        if not isinstance(data, dict):
            raise WeChatError(47001, "data format error")
        for name, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            kind = name.rstrip("0123456789")
            limit = 5 if kind == "phrase" else 32 if kind == "character_string" else 20
            if not isinstance(value, str) or not value or len(value) > limit:
                raise WeChatError(47003, f"argument invalid! data.{name}.value invalid")
        msgid = 1000 + len(self.state.templates)
        self.state.templates.append({"msgid": msgid, "openid": openid, **body})
        self._deliver(openid, " / ".join(item["value"] for item in data.values()), "template")
        return {"msgid": msgid}

    def menu_create(self, body: Dict[str, Any]) -> Dict[str, Any]:
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise WeChatError(40016, "invalid button size")
        for button in buttons:
            _check_button(button, 16)
            subs = button.get("sub_button") or []
            if len(subs) > 5:
                raise WeChatError(40023, "invalid sub button size")
            for sub in subs:
                _check_button(sub, 60)
            if not subs and button.get("type") not in _BUTTON_TYPES:
                raise WeChatError(40017, "invalid button type")
        self.state.menu = body
        return {}

    def menu_get(self) -> Dict[str, Any]:
        if self.state.menu is None:
            raise WeChatError(46003, "menu no exist")
        return {"menu": self.state.menu}

    # ------------------------------------------------------------ HTTP

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        routes = [
            ("GET", "/cgi-bin/token", self._token),
            ("POST", "/cgi-bin/stable_token", self._stable_token),
            ("POST", "/cgi-bin/message/custom/send", self._api(lambda b: self.custom_send(b))),
            ("POST", "/cgi-bin/message/custom/typing", self._api(lambda b: self.custom_typing(b))),
            ("POST", "/cgi-bin/message/template/send", self._api(lambda b: self.template_send(b))),
            ("POST", "/cgi-bin/menu/create", self._api(lambda b: self.menu_create(b))),
            ("GET", "/cgi-bin/menu/get", self._api(lambda _: self.menu_get(), body=False)),
            ("GET", "/cgi-bin/get_current_selfmenu_info", self._api(lambda _: self._selfmenu(), body=False)),
            ("GET", "/_fake/calls", self._calls),
            ("DELETE", "/_fake/calls", self._reset),
            ("GET", "/_fake/messages", self._messages),
            ("GET", "/_fake/templates", self._templates),
            ("GET", "/_fake/menu", self._menu),
            ("POST", "/_fake/interactions", self._interactions),
            ("POST", "/_fake/expire_tokens", self._expire),
            ("POST", "/_fake/fail", self._fail),
            ("POST", "/_fake/config", self._config),
            ("POST", "/_fake/outage", self._outage),
            ("GET", "/_fake/health", self._health),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        return app

    async def _templates(self, _: web.Request) -> web.Response:
        return _json({"templates": self.state.templates})

    async def _menu(self, _: web.Request) -> web.Response:
        return _json({"menu": self.state.menu})

    async def _health(self, _: web.Request) -> web.Response:
        return _json({"status": "ok"})

    def _selfmenu(self) -> Dict[str, Any]:
        menu = self.state.menu
        return {"is_menu_open": 1 if menu else 0, "selfmenu_info": menu or {"button": []}}

    async def _answer(self, request: web.Request, run: Callable[[], Dict[str, Any]],
                      body: Any = None) -> web.Response:
        if self.state.latency:
            await asyncio.sleep(self.state.latency)
        try:
            self._injected_failure(request.path)
            result = {"errcode": 0, "errmsg": "ok", **run()}
        except WeChatError as error:
            result = {"errcode": error.errcode, "errmsg": error.errmsg}
        self._record(request, body, result)
        if request.path.startswith("/cgi-bin/message/") and not result["errcode"]:
            async with self._delivered:
                self._delivered.notify_all()
        if self.state.lost_answers_until > self.state.clock():
            await self._lose_answer(request)
        return _json(result)

    async def _lose_answer(self, request: web.Request) -> None:
        """Holds the answer until the client gives up or the outage ends, then drops the connection."""
        transport = request.transport
        while (transport is not None and not transport.is_closing()
               and self.state.lost_answers_until > self.state.clock()):
            await asyncio.sleep(0.05)
        if transport is not None:
            transport.close()

    def _api(self, run: Callable[[Dict[str, Any]], Dict[str, Any]], body: bool = True) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            data: Any = None
            if body:
                try:
                    data = json.loads(await request.read() or b"null")
                except ValueError:
                    data = None

            def checked() -> Dict[str, Any]:
                self._check_token(request.query.get("access_token"))
                if body and not isinstance(data, dict):
                    raise WeChatError(47001, "data format error")
                return run(data)
            return await self._answer(request, checked, data)
        return handler

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query

        def run() -> Dict[str, Any]:
            self._check_credentials(query.get("grant_type"), query.get("appid"), query.get("secret"))
            return self._issue(force=True)
        return await self._answer(request, run)

    async def _stable_token(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            body = None

        def run() -> Dict[str, Any]:
            if not isinstance(body, dict):
                raise WeChatError(47001, "data format error")
            self._check_credentials(body.get("grant_type"), body.get("appid"), body.get("secret"))
            return self._issue(force=bool(body.get("force_refresh")))
        return await self._answer(request, run, {k: v for k, v in (body or {}).items() if k != "secret"})

    def _injected_failure(self, path: str) -> None:
        for failure in self.state.failures:
            if failure["path"] == path and failure["times"] > 0:
                failure["times"] -= 1
                raise WeChatError(int(failure["errcode"]), failure.get("errmsg") or "injected by the fake")

    def _record(self, request: web.Request, body: Any, result: Dict[str, Any]) -> None:
        self.state.calls.append({"seq": len(self.state.calls) + 1, "at": self.state.clock(),
                                 "method": request.method, "path": request.path, "body": body,
                                 "errcode": result.get("errcode", 0), "errmsg": result.get("errmsg")})

    async def _calls(self, request: web.Request) -> web.Response:
        path = request.query.get("path")
        calls = [c for c in self.state.calls if not path or c["path"] == path]
        return _json({"calls": calls})

    async def _reset(self, _: web.Request) -> web.Response:
        self.state.calls.clear()
        return web.json_response({"ok": True})

    async def _messages(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid")
        after = int(request.query.get("after", "0"))
        wait = min(float(request.query.get("wait", "0")), 30.0)

        def found() -> List[Dict[str, Any]]:
            return [m for m in self.state.messages if m["seq"] > after and (not openid or m["openid"] == openid)]

        if not found() and wait > 0:
            async with self._delivered:
                try:
                    await asyncio.wait_for(self._delivered.wait_for(lambda: bool(found())), wait)
                except asyncio.TimeoutError:
                    pass
        return _json({"messages": found(), "last": len(self.state.messages)})

    async def _interactions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.interact(str(body["openid"]), str(body.get("kind", "message")))
        return web.json_response({"ok": True})

    async def _expire(self, _: web.Request) -> web.Response:
        self.expire_tokens()
        return web.json_response({"ok": True})

    async def _fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.state.failures.append({"path": body["path"], "errcode": int(body["errcode"]),
                                    "times": int(body.get("times", 1)), "errmsg": body.get("errmsg")})
        return web.json_response({"ok": True})

    async def _outage(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.state.lost_answers_until = self.state.clock() + float(body["seconds"])
        return web.json_response({"ok": True})

    async def _config(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "latency" in body:
            self.state.latency = float(body["latency"])
        if "enforce_quota" in body:
            self.state.enforce_quota = bool(body["enforce_quota"])
        if "token_ttl" in body:
            self.state.token_ttl = int(body["token_ttl"])
        return web.json_response({"ok": True})


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _check_button(button: Dict[str, Any], name_limit: int) -> None:
    name = button.get("name")
    if not isinstance(name, str) or not name or len(name.encode("utf-8")) > name_limit:
        raise WeChatError(40018, "invalid button name size")
    if button.get("type") == "click":
        key = button.get("key")
        if not isinstance(key, str) or not key or len(key.encode("utf-8")) > 128:
            raise WeChatError(40019, "invalid button key size")
    elif button.get("type") is not None and button.get("type") not in _BUTTON_TYPES:
        raise WeChatError(40017, "invalid button type")


class FakeWeChatServer:
    """Runs the fake on a loopback port inside the current event loop (tests, benchmark)."""

    def __init__(self, state: Optional[FakeState] = None, host: str = "127.0.0.1", port: int = 0):
        self.fake = FakeWeChat(state)
        self._host = host
        self._port = port
        self._runner: Optional[web.AppRunner] = None
        self._site: Optional[web.TCPSite] = None
        self.url = ""

    async def __aenter__(self) -> "FakeWeChatServer":
        self._runner = web.AppRunner(self.fake.app(), access_log=None)
        await self._runner.setup()
        await self._listen()
        return self

    async def _listen(self) -> None:
        if self._runner is None:
            raise RuntimeError("the fake WeChat API is not started")
        self._site = web.TCPSite(self._runner, self._host, self._port)
        await self._site.start()
        self._port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self._host}:{self._port}/"

    async def go_down(self) -> None:
        """WeChat's API unreachable: connections refused, open ones closed, until ``come_back``."""
        if self._runner is None or self._site is None or self._runner.server is None:
            raise RuntimeError("the fake WeChat API is not started")
        await self._site.stop()
        self._runner.server.pre_shutdown()

    async def come_back(self) -> None:
        await self._listen()

    async def __aexit__(self, *_: Any) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def demo_environment(env: Mapping[str, str], fake_port: int = DEFAULT_PORT) -> Dict[str, str]:
    """What ``govbot up`` adds when no official account is configured (``WECHAT_APP_ID`` unset):
    demo credentials and the local fake API (run it as ``govbot fake-wechat --port fake_port``),
    with the demo EncodingAESKey in compatible mode so ``govbot chat`` works with and without
    ``--aes``, and the demo account's original id, which the simulator puts in ``ToUserName``.
    Empty when a real account is configured: nothing is faked then."""
    if env.get("WECHAT_APP_ID"):
        return {}
    return {"WECHAT_APP_ID": DEMO_APP_ID, "WECHAT_APP_SECRET": DEMO_APP_SECRET, "WECHAT_TOKEN": DEMO_TOKEN,
            "WECHAT_ENCODING_AES_KEY": DEMO_AES_KEY, "WECHAT_ENCRYPT_MODE": "compatible",
            "WECHAT_API_BASE_URL": f"http://127.0.0.1:{fake_port}/", "WECHAT_ACCOUNT_ID": DEMO_ACCOUNT}


def run(args: argparse.Namespace) -> int:
    """``govbot fake-wechat --port P``: the fake WeChat API server alone."""
    app_id = args.app_id or os.environ.get("WECHAT_APP_ID") or DEMO_APP_ID
    state = FakeState(app_id=app_id,
                      app_secret=args.app_secret or os.environ.get("WECHAT_APP_SECRET") or DEMO_APP_SECRET,
                      token_ttl=args.token_ttl, enforce_quota=not args.no_quota)
    logger.info("fake WeChat API on http://%s:%d/ (app id %s)", args.host, args.port, app_id)
    web.run_app(FakeWeChat(state).app(), host=args.host, port=args.port, access_log=None, print=None)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    from connectors.wechat.cli import configure_fake

    parser = argparse.ArgumentParser(prog="govbot fake-wechat", description="fake WeChat server API (local only)")
    configure_fake(parser)
    return run(parser.parse_args(argv))
