"""Portal app factory: resources opened in ``cleanup_ctx``, JSON errors, bearer-key auth (``portal.auth``)."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import AsyncIterator, Awaitable, Callable

from aiohttp import web

from govbot.clock import in_china
from portal import api
from portal.applications import Applications
from portal.appointments import Appointments
from portal.auth import auth_middleware
from portal.booking_lookup import BookingLookup
from portal.catalog import Catalog, catalog_is_empty, read_catalog, store_catalog
from portal.db import create_engine, migrate
from portal.demo import seed_applications
from portal.errors import PortalError
from portal.feedback import Feedback
from portal.keys import APPLICATIONS, APPOINTMENTS, BOOKING_LOOKUP, CATALOG, FEEDBACK, INDEX, SETTINGS
from portal.search import GuideIndex
from portal.settings import PortalSettings
from portal.webhook import Notifier

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def init_app(settings: PortalSettings) -> web.Application:
    """The portal; raises :class:`portal.settings.InsecureSettings` rather than start open by accident."""
    settings.check()
    if settings.open_demo:
        logger.warning("*" * 78)
        logger.warning("OPEN DEMO PORTAL: started with --demo and no PORTAL_API_KEY. Anyone who can reach this "
                       "port acts as the bot: books, lists bookings and reads contacts for any openid. "
                       "Never run it like this outside a local demo; set PORTAL_API_KEY.")
        logger.warning("*" * 78)
    if not settings.admin_key:
        logger.info("PORTAL_ADMIN_KEY is not set: admin operations (status events, attendance, rectification "
                    "queue, complaint details) are refused")
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[error_middleware, auth_middleware])
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    api.setup_routes(app)
    return app


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    notifier = Notifier(settings.webhook_url, settings.webhook_secret)
    await migrate(engine)
    if await catalog_is_empty(engine):
        await store_catalog(engine, Catalog.from_files())
        await seed_applications(engine)
    catalog = await read_catalog(engine)
    app[CATALOG] = catalog
    app[INDEX] = GuideIndex(list(catalog.guides.values()))
    now = in_china(settings.now)
    app[APPOINTMENTS] = Appointments(engine, catalog, notifier, now, settings.booking_limits,
                                     settings.contact_handle_seconds)
    app[APPLICATIONS] = Applications(engine, catalog, notifier, now, settings.status_limits)
    app[FEEDBACK] = Feedback(engine, now)
    app[BOOKING_LOOKUP] = BookingLookup(engine, app[APPOINTMENTS], now, settings.status_limits)
    logger.info("portal ready: %d items, %d halls", len(catalog.guides), len(catalog.halls))
    reminders = asyncio.create_task(_remind_forever(app[APPOINTMENTS], settings.reminder_interval)) \
        if settings.webhook_url else None
    yield
    if reminders is not None:
        reminders.cancel()
        await asyncio.gather(reminders, return_exceptions=True)
    await notifier.close()
    await engine.dispose()


async def _remind_forever(appointments: Appointments, interval: float) -> None:
    """Day-before reminders, checked every ``interval`` seconds; a failed round is logged and retried."""
    while True:
        try:
            sent = await appointments.send_reminders()
            if sent:
                logger.info("posted %d booking reminders", sent)
        except Exception:  # noqa: BLE001 - a database hiccup must not end the reminder loop
            logger.exception("booking reminder round failed")
        await asyncio.sleep(interval)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is JSON; a client error is never a 500, and a 500 never leaks a trace."""
    try:
        return await handler(request)
    except PortalError as error:
        return web.json_response(error.body(), status=error.status, dumps=_dumps)
    except web.RequestPayloadError:  # malformed framing met while reading the body (e.g. a bad chunk size)
        return web.json_response({"error": "bad_request", "message": "请求体的分块格式错误"},
                                 status=400, headers={"Connection": "close"}, dumps=_dumps)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        body = {"error": error.reason.lower().replace(" ", "_"), "message": error.text or error.reason}
        return web.json_response(body, status=error.status, headers=_allow_header(error), dumps=_dumps)
    except Exception:  # noqa: BLE001 - the last line of defence, logged with its trace
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal_error", "message": "服务暂时不可用，请稍后再试"}, status=500,
                                 dumps=_dumps)


def _allow_header(error: web.HTTPException) -> dict:
    allow = error.headers.get("Allow")
    return {"Allow": allow} if allow else {}


def _dumps(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)
