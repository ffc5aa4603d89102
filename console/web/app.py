"""The console's app factory: services opened in ``cleanup_ctx`` (migrations run first, as the
portal's do), the middlewares of ``guard``, the routes, templates and the one stylesheet."""
from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator, Callable, Optional

import aiohttp_jinja2
import jinja2
from aiohttp import web
from argon2 import PasswordHasher

from console.db import create_engine, migrate
from console.hours import StaffHours
from console.messages import Transcripts
from console.rasa import RasaConversations
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.staff import StaffAccounts
from console.web import entry, guard, live, moves, pages
from console.web.board import Board
from console.web.feed import ChangeFeed
from console.web.quick_replies import QuickReplies
from console.web.sender import Bot, ReplySender
from console.web.services import SERVICES, Services
from console.web.signins import SignIns
from govbot.clock import china_now

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES, STATIC = PACKAGE / "templates", PACKAGE / "static"
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: ConsoleSettings, sender: ReplySender, *, now: Callable[[], datetime] = china_now,
               hasher: Optional[PasswordHasher] = None, poll_interval: float = 0.2,
               bot: Optional[Bot] = None) -> web.Application:
    """The console; ``sender`` delivers staff replies (the channel's wiring), ``bot`` takes handed-back
    conversations (default: the Rasa server of ``settings``), ``now`` and ``hasher`` are for tests
    (a moving clock, cheap hashing)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[guard.error_pages, guard.who_signed_in, guard.csrf])
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                         context_processors=[pages.common_context])
    # aiohttp 3.9 types its signals' items wrongly (the handler of a handler); these are plain handlers.
    app.on_response_prepare.append(guard.security_headers)  # type: ignore[arg-type]
    bot = bot or RasaConversations(settings.rasa_url, settings.rasa_token)
    app.cleanup_ctx.append(_services(settings, sender, bot, now, hasher, poll_interval))
    app.on_shutdown.append(_end_streams)  # type: ignore[arg-type]
    _routes(app)
    return app


def _routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/", pages.home)
    router.add_get("/signin", entry.sign_in_form)
    router.add_post("/signin", entry.sign_in)
    router.add_post("/signout", entry.sign_out)
    for name in pages.LISTINGS:
        router.add_get(f"/{name}", pages.listing_page(name, fragment=False))
        router.add_get(f"/{name}/live", pages.listing_page(name, fragment=True))
    router.add_get("/search", pages.search)
    router.add_get(r"/conversations/{id:\d+}", pages.conversation_page("conversation.html", with_history=True))
    router.add_get(r"/conversations/{id:\d+}/live", pages.conversation_page("_live.html"))
    router.add_post(r"/conversations/{id:\d+}/reply", moves.reply)
    router.add_post(r"/conversations/{id:\d+}/typing", moves.typing)
    router.add_post(r"/conversations/{id:\d+}/{move:[a-z_]+}", moves.move)
    router.add_get("/quick-replies", pages.quick_replies_page)
    router.add_post("/quick-replies", moves.save_quick_reply)
    router.add_post(r"/quick-replies/{id:\d+}/delete", moves.delete_quick_reply)
    router.add_get("/events", live.events)
    router.add_static("/static/", STATIC)


def _services(settings: ConsoleSettings, sender: ReplySender, bot: Bot, now: Callable[[], datetime],
              hasher: Optional[PasswordHasher], poll_interval: float
              ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def opened(app: web.Application) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        await migrate(engine)
        feed = ChangeFeed(engine, poll_interval)
        app[SERVICES] = Services(
            settings=settings, engine=engine, now=now, sessions=Sessions(engine, StaffHours(settings.staff_hours), now),
            transcripts=Transcripts(engine, now), accounts=StaffAccounts(engine, now, hasher),
            signins=SignIns(engine, settings, now), quick_replies=QuickReplies(engine, now), board=Board(engine),
            feed=feed, sender=sender, bot=bot)
        await feed.poll()  # the marks to compare with, before any page listens
        polling = asyncio.create_task(feed.run())
        yield
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await engine.dispose()
    return opened


async def _end_streams(app: web.Application) -> None:
    """Open event streams end first, so that shutdown does not wait for them."""
    app[SERVICES].feed.close()
