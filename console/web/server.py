"""``govbot console serve``: the console on ``CONSOLE_HOST:CONSOLE_PORT`` (127.0.0.1:8090)."""
from __future__ import annotations

import logging
import os
import sys
from typing import Mapping, Optional

from aiohttp import web

from console.settings import ConsoleSettings
from console.web.app import create_app
from console.web.sender import NotWired, ReplySender
from govbot.envsettings import SettingError

logger = logging.getLogger(__name__)


def serve(env: Mapping[str, str] = os.environ, host: Optional[str] = None, port: Optional[int] = None,
          sender: Optional[ReplySender] = None) -> int:
    """Runs until interrupted; exit status 2 (with the reason on stderr) on a malformed setting."""
    try:
        settings = ConsoleSettings.from_env(env)
    except SettingError as refusal:
        print(f"govbot console serve: {refusal}", file=sys.stderr)
        return 2
    if sender is None:
        logger.warning("no channel is wired to the console: staff replies are stored and reported as not sent")
    app = create_app(settings, sender or NotWired())
    host, port = host or settings.host, port or settings.port
    logger.info("staff console on http://%s:%d/", host, port)
    web.run_app(app, host=host, port=port, access_log=None, print=None, shutdown_timeout=5)
    return 0
