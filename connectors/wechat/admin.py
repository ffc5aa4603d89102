"""``govbot wechat ...``: operators' commands for the official account.

- ``govbot wechat menu show [--local]``: the menu WeChat shows now (``--local``: the one in
  ``menu.yml``, as it would be pushed)
- ``govbot wechat menu push``: validates ``menu.yml`` and publishes it
- ``govbot wechat notify --port P``: the portal-webhook receiver as a process of its own
  (the Rasa server already serves it at ``/webhooks/wechat/portal``)

They use the same settings (CONTRACT.md §4) and the same token cache as the server, so an
operator's command never invalidates the servers' access token.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Sequence, TextIO, Tuple

from connectors.wechat.api import WeChatClient
from connectors.wechat.cli import configure_wechat
from connectors.wechat.errors import WeChatAPIError
from connectors.wechat.menu import MENU_FILE, Menu, MenuError
from connectors.wechat.settings import WeChatSettings, WeChatSettingsError
from connectors.wechat.storage import Storage, open_storage

logger = logging.getLogger(__name__)


async def menu_show(settings: WeChatSettings, out: TextIO, local: bool = False, path: Path = MENU_FILE) -> int:
    if local:
        out.write(json.dumps(Menu.load(path).to_wechat(), ensure_ascii=False, indent=2) + "\n")
        return 0
    client, storage = _client(settings)
    try:
        current = await client.get_menu()
    finally:
        await client.close()
        await storage.close()
    out.write(json.dumps(current, ensure_ascii=False, indent=2) + "\n")
    return 0


async def publish_menu(settings: WeChatSettings, out: TextIO, path: Path = MENU_FILE) -> int:
    menu = Menu.load(path)
    client, storage = _client(settings)
    try:
        await client.create_menu(menu.to_wechat())
    finally:
        await client.close()
        await storage.close()
    names = " / ".join(button["name"] for button in menu.buttons)
    out.write(f"菜单已发布：{names}（微信客户端约 5 分钟内更新；重新关注可立即看到）\n")
    return 0


def _client(settings: WeChatSettings) -> Tuple[WeChatClient, Storage]:
    storage = open_storage(settings.redis_url, settings.key_prefix)
    return WeChatClient.from_settings(settings, storage), storage


def _serve_notify(settings: WeChatSettings, host: str, port: int) -> int:
    from aiohttp import web

    from connectors.wechat.notify import PortalEvents, init_app
    from connectors.wechat.templates import Templates

    storage = open_storage(settings.redis_url, settings.key_prefix)
    client = WeChatClient.from_settings(settings, storage)
    events = PortalEvents(client, Templates.load(template_ids=settings.template_ids), settings.portal_webhook_secret)
    app = init_app(events, client)
    app.on_cleanup.append(lambda _: storage.close())
    web.run_app(app, host=host, port=port, access_log=None, print=None)
    return 0


def run(args: argparse.Namespace, out: Optional[TextIO] = None) -> int:
    out = out or sys.stdout
    try:
        if args.wechat_command == "menu" and args.action == "show" and args.local:
            return asyncio.run(menu_show(None, out, local=True, path=args.file))  # type: ignore[arg-type]
        settings = WeChatSettings.from_sources({}, os.environ, required=("app_id", "app_secret"))
        if args.wechat_command == "notify":
            return _serve_notify(settings, args.host, args.port)
        run_menu = (publish_menu(settings, out, args.file) if args.action == "push"
                    else menu_show(settings, out, path=args.file))
        return asyncio.run(run_menu)
    except (WeChatSettingsError, MenuError) as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except WeChatAPIError as error:
        sys.stderr.write(f"微信接口返回错误 {error.errcode}：{error.errmsg}\n")
        return 1


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    parser = argparse.ArgumentParser(prog="govbot wechat", description="公众号管理：菜单、通知")
    configure_wechat(parser)
    return run(parser.parse_args(argv), out)
