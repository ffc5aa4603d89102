"""``govbot-actions``: rasa_sdk's action server, private by default.

rasa_sdk's own ``rasa run actions`` listens on 0.0.0.0 and runs any action for any caller, with
any ``sender_id`` (two POSTs listed and cancelled another citizen's booking). Here the server
listens on 127.0.0.1 unless ``--host`` / ``ACTION_HOST`` says otherwise, refuses to leave
loopback without ``ACTION_SERVER_SECRET``, and with that setting answers only calls carrying
it in ``X-Action-Secret`` (``/health`` stays open for probes). The Sanic framing guard is
applied, CORS is off unless asked for (no browser has business here), and an unexpected error
is answered 500 without rasa_sdk's echo of the request body, which is the citizen's tracker.
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import ipaddress
import logging
import os
from typing import List, Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.gov_api import GovApi, GovApiSettings, GovApiSettingsError, use_gov_api
from actions.staff_desk import use_staff_desk
from console.db import create_engine, migrate
from console.escalation import Escalations
from console.hours import StaffHours
from console.messages import Transcripts
from console.sessions import Sessions
from console.settings import ConsoleSettings
from govbot import logmask
from govbot.envsettings import SettingError
from govbot.http_guard import guard_sanic
from govbot.keys import ACTION_SECRET_HEADER
from govbot.settings import LOOPBACK

logger = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)


def require_secret(app: Sanic, secret: str) -> None:
    """Every route but ``/health`` answers 401 unless the call carries ``secret``."""
    expected = secret.encode()

    async def check_secret(request: Request) -> Optional[HTTPResponse]:
        # Sanic also runs request middleware before an error response; without a route (unknown
        # path, a request refused before routing) no action can run, and the error must show.
        if request.route is None or request.path in OPEN_PATHS:
            return None
        given = request.headers.get(ACTION_SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if hmac.compare_digest(given, expected):  # constant time: the secret cannot be guessed byte by byte
            return None
        return response.json({"error": f"missing or wrong {ACTION_SECRET_HEADER}"}, status=401)

    app.register_middleware(check_secret, "request")


async def answer_error(request: Request, exception: Exception) -> HTTPResponse:
    """Sanic's own errors keep their status; anything else is a 500 that echoes nothing back."""
    if isinstance(exception, SanicException):
        return response.json({"error": str(exception)}, status=exception.status_code)
    logger.error("Unexpected error answering %s %s", request.method, request.path, exc_info=exception)
    return response.json({"error": "internal error of the action server"}, status=500)


def build_app(actions: str, secret: Optional[str], cors: Optional[List[str]] = None,
              auto_reload: bool = False, gov_api: Optional[GovApi] = None,
              console: Optional[ConsoleSettings] = None) -> Sanic:
    app = create_app(actions, cors_origins=cors or "", auto_reload=auto_reload)
    app.error_handler.add(Exception, answer_error)  # replaces rasa_sdk's handler
    if secret:
        require_secret(app, secret)
    if gov_api is not None:
        hand_to_actions(app, gov_api)
    if console is not None:
        hand_desk_to_actions(app, console)
    return app


def hand_to_actions(app: Sanic, client: GovApi) -> None:
    """The actions call the portal through ``client`` from the server's start; it is closed (its
    aiohttp session with it) when the server stops."""

    async def open_client(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
        use_gov_api(client)

    async def close_client(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
        use_gov_api(None)
        await client.close()

    app.register_listener(open_client, "before_server_start")
    app.register_listener(close_client, "after_server_stop")


def hand_desk_to_actions(app: Sanic, settings: ConsoleSettings) -> None:
    """``action_handoff`` opens sessions in the console's database (``actions.staff_desk`` says
    why there), migrated here at start; with ``HANDOFF_MODE=wechat`` it gets no desk. A database
    out of reach at start is logged, not fatal: the handoff then apologises with 12345."""
    engines = []

    async def open_desk(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
        if not settings.uses_console:
            use_staff_desk(None)
            return
        engine = create_engine(settings.database_url)
        engines.append(engine)
        try:
            await migrate(engine)
        except Exception as error:  # noqa: BLE001 - the action server still serves every other action
            logger.error("the console's database is out of reach (%s): handoffs will apologise", type(error).__name__)
        hours = StaffHours(settings.staff_hours)
        use_staff_desk(Escalations(Sessions(engine, hours), Transcripts(engine), hours))

    async def close_desk(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
        use_staff_desk(None, handed=False)
        for engine in engines:
            await engine.dispose()

    app.register_listener(open_desk, "before_server_start")
    app.register_listener(close_desk, "after_server_stop")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: Optional[List[str]] = None) -> None:
    parser = create_argument_parser()
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST") or LOOPBACK,
                        help="address to listen on (default: ACTION_HOST, else 127.0.0.1)")
    args = parser.parse_args(argv)
    secret = os.environ.get("ACTION_SERVER_SECRET") or None
    try:
        gov_api_settings = GovApiSettings.from_env()
        console_settings = ConsoleSettings.from_env()
    except (GovApiSettingsError, SettingError) as error:
        parser.error(str(error))
    if not secret and not is_loopback(args.host):
        parser.error(f"--host {args.host} leaves loopback: set ACTION_SERVER_SECRET (the Rasa server presents "
                     f"it in {ACTION_SECRET_HEADER}) or listen on 127.0.0.1")
    _configure_logging(args)
    logmask.install()  # after rasa_sdk's handlers exist: every record masked, no tracker dumped
    guard_sanic()
    app = build_app(args.actions, secret, args.cors, args.auto_reload, GovApi.from_settings(gov_api_settings),
                    console_settings)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action server on %s://%s:%d (%s)", "https" if ssl_context else "http", args.host, args.port,
                f"calls need {ACTION_SECRET_HEADER}" if secret else "no secret: loopback callers only")
    app.run(args.host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


def _configure_logging(args: argparse.Namespace) -> None:
    """As ``rasa_sdk.__main__`` does."""
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()


if __name__ == "__main__":
    main()
