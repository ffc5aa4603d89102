"""``govbot console serve``: the console on ``CONSOLE_HOST:CONSOLE_PORT`` (127.0.0.1:8090).

Staff replies leave through the WeChat channel (``connectors.wechat.staff.ChannelSender``, on the
Rasa server with its API token): without a channel to send through (``WECHAT_APP_ID`` and
``RASA_AUTH_TOKEN``) the console refuses to start rather than take replies it cannot deliver.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Mapping, Optional

from aiohttp import web

from connectors.wechat.staff import ChannelSender
from console.settings import ConsoleSettings
from console.web.app import create_app
from console.web.sender import ReplySender
from govbot.envsettings import SettingError

logger = logging.getLogger(__name__)


def serve(env: Mapping[str, str] = os.environ, host: Optional[str] = None, port: Optional[int] = None,
          sender: Optional[ReplySender] = None) -> int:
    """Runs until interrupted; exit status 2 (with the reason on stderr) on a malformed setting or
    without a channel for staff replies."""
    try:
        settings = ConsoleSettings.from_env(env)
        sender = sender or channel_sender(settings, env)
    except SettingError as refusal:
        print(f"govbot console serve: {refusal}", file=sys.stderr)
        return 2
    app = create_app(settings, sender)
    host, port = host or settings.host, port or settings.port
    logger.info("staff console on http://%s:%d/", host, port)
    web.run_app(app, host=host, port=port, access_log=None, print=None, shutdown_timeout=5)
    return 0


def channel_sender(settings: ConsoleSettings, env: Mapping[str, str]) -> ReplySender:
    """The WeChat channel on the Rasa server; raises ``SettingError`` naming what is missing."""
    missing = [name for name, value in (("WECHAT_APP_ID", env.get("WECHAT_APP_ID")),
                                        ("RASA_AUTH_TOKEN", settings.rasa_token)) if not value]
    if missing:
        raise SettingError(f"no channel for staff replies: set {' and '.join(missing)} (the WeChat channel on the "
                           f"Rasa server at RASA_HOST:RASA_PORT sends them); 'govbot up' sets both")
    return ChannelSender(settings.rasa_url, settings.rasa_token or "")
