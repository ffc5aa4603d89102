"""``govbot``: the one command line of the project (CONTRACT.md §5)."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

# The WeChat commands live with the WeChat protocol in ``connectors/`` and parse their own flags.
DELEGATED = {
    "chat": ("connectors.wechat.testing.simulator",
             "local WeChat simulator against a running server (--aes: safe mode)"),
    "fake-wechat": ("connectors.wechat.testing.fake_api", "the fake WeChat API server alone (--port P)"),
    "wechat": ("connectors.wechat.admin", "official-account administration: menu push|show, notify"),
}


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        from govbot.keys import export_secrets
        from govbot.up import load_dotenv

        load_dotenv()
        export_secrets()  # the keys of a `govbot up` run, e.g. for `govbot wechat notify`
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        sys.exit(importlib.import_module(DELEGATED[argv[0]][0]).main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(args.run(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govbot", description="政务服务公众号智能助手")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start every process (portal, action server, Rasa server)")
    up.set_defaults(run=_up)

    portal = commands.add_parser("portal", help="the reference government portal alone")
    portal.add_argument("--host", default="127.0.0.1")
    portal.add_argument("--port", type=int, default=8080)
    portal.add_argument("--demo", action="store_true",
                        help="open demo: start without PORTAL_API_KEY (anyone reaching the port acts as the bot)")
    portal.set_defaults(run=_portal)

    catalog = commands.add_parser("catalog", help="the portal's service catalog")
    catalog.add_argument("action", choices=["load"], help="load: (re)load portal/catalog/*.yaml into DATABASE_URL")
    catalog.set_defaults(run=_catalog)

    nlu = commands.add_parser("nlu", help="NLU data tools")
    nlu.add_argument("action", choices=["sync", "check", "ood"],
                     help="sync: regenerate service-item lookups, synonyms and the jieba dictionary from the "
                          "portal catalog; check: fail on entity spans off jieba tokens, a text under two "
                          "intents, generated files out of step, unused responses; ood: rebuild the public "
                          "out-of-domain data (tests/nlu/ood/, nlu_data/out_of_scope_public.yml) from raw "
                          "corpora (nlu_data/SOURCES.md)")
    nlu.add_argument("--smp2019", type=Path, help="ood: SMP2019-ECDT task 1 train.json (held out)")
    nlu.add_argument("--crosswoz", type=Path, nargs="+", help="ood: CrossWOZ *.json dialogue files (held out)")
    nlu.add_argument("--smp2017", type=Path, help="ood: SMP2017-ECDT task 1 data.json (training)")
    nlu.add_argument("--kdconv", type=Path, nargs="+", help="ood: KdConv {film,music,travel} *.json (training)")
    nlu.set_defaults(run=_nlu)

    console = commands.add_parser("console", help="the staff console")
    console_commands = console.add_subparsers(dest="console_command", required=True)
    add_staff = console_commands.add_parser(
        "add-staff", help="create a staff account (password from CONSOLE_STAFF_PASSWORD, else typed twice)")
    add_staff.add_argument("--login", required=True, help="sign-in name: lowercase letters, digits, . _ -")
    add_staff.add_argument("--name", required=True, help="the name colleagues see, e.g. 王小明")
    add_staff.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    add_staff.set_defaults(run=_console_add_staff)
    serve = console_commands.add_parser(
        "serve", help="the staff console's web app on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:8090)")
    serve.add_argument("--host", help="overrides CONSOLE_HOST")
    serve.add_argument("--port", type=int, help="overrides CONSOLE_PORT")
    serve.set_defaults(run=_console_serve)

    for name, (_module, help_text) in DELEGATED.items():
        commands.add_parser(name, help=help_text)  # listed in --help; handled in main()

    train = commands.add_parser("train", help="train the Rasa model when data, domain or config changed")
    train.add_argument("--force", action="store_true", help="train even when nothing changed")
    train.set_defaults(run=_train)
    return parser


def _up(_args: argparse.Namespace) -> int:
    from govbot.settings import Settings
    from govbot.up import load_dotenv, up

    load_dotenv()
    return up(Settings.from_env())


def _portal(args: argparse.Namespace) -> int:
    # People paste Chinese straight into URLs (curl '...?q=身份证丢了' sends raw UTF-8); aiohttp's
    # C parser refuses such bytes, its pure-Python parser accepts them. Set before aiohttp loads.
    os.environ.setdefault("AIOHTTP_NO_EXTENSIONS", "1")
    from aiohttp import web

    from govbot import logmask
    from govbot.envsettings import SettingError
    from portal.app import init_app
    from portal.settings import InsecureSettings, PortalSettings

    logmask.install()
    try:
        app = init_app(PortalSettings.from_env(demo=args.demo))
    except (InsecureSettings, SettingError) as refusal:
        print(f"govbot portal: {refusal}", file=sys.stderr)
        return 2
    web.run_app(app, host=args.host, port=args.port, access_log=None)
    return 0


def _catalog(_args: argparse.Namespace) -> int:
    from portal.catalog import Catalog, store_catalog
    from portal.db import create_engine, migrate
    from portal.settings import PortalSettings

    async def load() -> int:
        catalog = Catalog.from_files()
        engine = create_engine(PortalSettings.from_env().database_url)
        await migrate(engine)
        await store_catalog(engine, catalog)
        await engine.dispose()
        print(f"Loaded {len(catalog.guides)} items and {len(catalog.halls)} halls.")
        return 0

    return asyncio.run(load())


def _nlu(args: argparse.Namespace) -> int:
    if args.action == "check":
        from govbot.data_check import main as check

        return check()
    from govbot.nlu_sync import sync
    from portal.catalog import Catalog

    if args.action == "sync":
        print(sync(Catalog.from_files()))
        return 0
    from govbot.ood_corpus import RawCorpora, build, report

    if not (args.smp2019 and args.crosswoz and args.smp2017 and args.kdconv):
        print("govbot nlu ood: needs --smp2019, --crosswoz, --smp2017 and --kdconv", file=sys.stderr)
        return 2
    raw = RawCorpora(args.smp2019, tuple(args.crosswoz), args.smp2017, tuple(args.kdconv))
    print(report(build(raw, Catalog.from_files())))
    return 0


def _console_add_staff(args: argparse.Namespace) -> int:
    from console.cli import add_staff
    from govbot.up import load_dotenv

    load_dotenv()
    return add_staff(args.login, args.name, args.role)


def _console_serve(args: argparse.Namespace) -> int:
    from console.web.server import serve
    from govbot import logmask
    from govbot.up import load_dotenv

    load_dotenv()
    logmask.install()
    return serve(host=args.host, port=args.port)


def _train(args: argparse.Namespace) -> int:
    from govbot.train import train

    return train(force=args.force)
