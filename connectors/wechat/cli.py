"""Flags of the connector's commands in the one ``govbot`` CLI: ``chat``, ``fake-wechat``, ``wechat``.

``govbot/cli.py`` hands ``govbot chat ...`` to ``simulator.main(argv)``, ``govbot fake-wechat ...``
to ``fake_api.main(argv)`` and ``govbot wechat ...`` to ``admin.main(argv)``; each builds its
parser with the function here and has a ``run(args)``. Defaults that depend on the
environment are resolved in ``run``, when the command runs (after ``.env`` is loaded), never
when the parser is built.
"""
from __future__ import annotations

import argparse
from pathlib import Path

FAKE_PORT = 8011
NOTIFY_PORT = 8012


def configure_chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aes", action="store_true", help="safe mode: encrypt pushes, decrypt and check replies")
    parser.add_argument("--url", help="the webhook (default: http://127.0.0.1:$RASA_PORT/webhooks/wechat/webhook)")
    parser.add_argument("--fake-api", help="the fake WeChat API the server sends customer-service messages to "
                                           f"(default: $WECHAT_API_BASE_URL, else http://127.0.0.1:$WECHAT_FAKE_PORT/, "
                                           f"port {FAKE_PORT} when unset)")
    parser.add_argument("--openid", help="who you are (default: a new random openid)")
    parser.add_argument("--no-follow", action="store_true", help="do not start with a follow (subscribe) event")


def configure_fake(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=FAKE_PORT)
    parser.add_argument("--app-id", help="the AppID it accepts (default: $WECHAT_APP_ID, else the demo one)")
    parser.add_argument("--app-secret", help="the AppSecret it accepts (default: $WECHAT_APP_SECRET, else demo)")
    parser.add_argument("--token-ttl", type=int, default=7200, help="seconds an access token lives")
    parser.add_argument("--no-quota", action="store_true", help="do not enforce customer-service quota")


def configure_wechat(parser: argparse.ArgumentParser) -> None:
    from_menu = Path(__file__).with_name("menu.yml")
    commands = parser.add_subparsers(dest="wechat_command", required=True)
    menu = commands.add_parser("menu", help="the official account's custom menu (connectors/wechat/menu.yml)")
    menu.add_argument("action", choices=["push", "show"])
    menu.add_argument("--local", action="store_true", help="show: print menu.yml as it would be pushed")
    menu.add_argument("--file", type=Path, default=from_menu)
    notify = commands.add_parser("notify", help="receive the portal's webhook and send template messages")
    notify.add_argument("--host", default="127.0.0.1")
    notify.add_argument("--port", type=int, default=NOTIFY_PORT)
