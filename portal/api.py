"""HTTP handlers and the route table; the OpenAPI document is generated from the same table.

Each route declares the roles that may call it (``portal.auth``): public catalog reads, the
bot's operations for citizens (the only ones that accept an openid), and staff operations.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Dict, List, Optional, Type, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from portal import openapi
from portal.auth import ADMIN, BOT, BOT_OR_ADMIN, PUBLIC, Role, caller_key, caller_of
from portal.booking_lookup import BookingLookupRequest
from portal.catalog import bring_list
from portal.errors import PortalError
from portal.keys import APPLICATIONS, APPOINTMENTS, BOOKING_LOOKUP, CATALOG, FEEDBACK, INDEX, ROUTE_ROLES
from portal.routes import Param, Route, coerce
from portal.schemas import (
    APPLICATION_ID_PATTERN,
    AttendanceMark,
    BookingRequest,
    CancelRequest,
    ComplaintRequest,
    EvaluationRequest,
    StatusChange,
    StatusQuery,
)

Model = TypeVar("Model", bound=BaseModel)
MAX_LIMIT = 50


# --- request parsing -------------------------------------------------------------

def param(request: web.Request, spec: Param) -> Any:
    """Reads one parameter and checks it against its own OpenAPI schema."""
    source = {"query": request.query, "path": request.match_info, "header": request.headers}[spec.location]
    raw = source.get(spec.name)
    if raw is None or raw == "":
        if spec.required:
            raise PortalError(400, "missing_parameter", f"缺少参数 {spec.name}")
        return None
    return coerce(spec.name, raw, spec.schema)


async def body(request: web.Request, model: Type[Model]) -> Model:
    try:
        data = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise PortalError(400, "invalid_json", "请求体不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise PortalError(400, "invalid_json", "请求体应为 JSON 对象")
    try:
        return model.parse_obj(data)
    except ValidationError as error:
        raise PortalError(422, "invalid_request", "请求参数有误",
                          {"errors": json.loads(error.json())}) from None


def ok(data: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=lambda d: json.dumps(d, ensure_ascii=False))


# --- parameters ------------------------------------------------------------------

Q = Param("q", "query", {"type": "string", "minLength": 1, "maxLength": 200})
LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 5}, False)
CODE = Param("code", "path", {"type": "string", "pattern": r"^[A-Z]{2,4}-\d{4}$"})
ITEM_CODE = Param("item_code", "query", {"type": "string", "pattern": r"^[A-Z]{2,4}-\d{4}$"})
HALL_CODE = Param("hall_code", "query", {"type": "string", "pattern": r"^[A-Z]{2,8}$"}, False)
OPENID = Param("openid", "query", {"type": "string", "minLength": 1, "maxLength": 64})
BOOKING_NO = Param("booking_no", "path", {"type": "string", "pattern": r"^YY\d{16}$"})
APPLICATION_ID = Param("application_id", "path", {"type": "string", "pattern": APPLICATION_ID_PATTERN})
REFERENCE = Param("reference", "path", {"type": "string", "pattern": r"^TS\d{14}$"})
IDEMPOTENCY_KEY = Param("Idempotency-Key", "header", {"type": "string", "minLength": 8, "maxLength": 128,
                                                      "pattern": r"^[\x21-\x7e]+$"})


# --- handlers --------------------------------------------------------------------

async def health(_request: web.Request) -> web.Response:
    return ok({"status": "ok"})


async def openapi_document(request: web.Request) -> web.Response:
    return ok(openapi.document(ROUTES))


async def search_guides(request: web.Request) -> web.Response:
    hits = request.app[INDEX].search(param(request, Q), param(request, LIMIT) or LIMIT.schema["default"])
    return ok({"items": [hit.__dict__ for hit in hits]})


async def guide_detail(request: web.Request) -> web.Response:
    catalog = request.app[CATALOG]
    guide = catalog.guides.get(param(request, CODE))
    if guide is None:
        raise PortalError(404, "item_not_found", "没有这个事项")
    detail = guide.dict()
    detail["halls"] = [{**catalog.halls[h.hall].dict(), "window": h.window} for h in guide.halls]
    detail["bookable"] = bool(guide.halls)
    detail["bring"] = bring_list(guide)  # what to bring to the hall (h-guides), as in a booking
    return ok(detail)


async def list_halls(request: web.Request) -> web.Response:
    return ok({"halls": [hall.dict() for hall in request.app[CATALOG].halls.values()]})


async def list_slots(request: web.Request) -> web.Response:
    slots = await request.app[APPOINTMENTS].slots(param(request, ITEM_CODE), param(request, HALL_CODE))
    return ok({"slots": [slot.as_dict() for slot in slots]})


async def book(request: web.Request) -> web.Response:
    key = param(request, IDEMPOTENCY_KEY)
    booking, replayed = await request.app[APPOINTMENTS].book(await body(request, BookingRequest), key)
    return ok(booking, status=200 if replayed else 201, headers={"Idempotent-Replayed": str(replayed).lower()})


async def my_bookings(request: web.Request) -> web.Response:
    return ok({"bookings": await request.app[APPOINTMENTS].list_for_openid(param(request, OPENID))})


async def last_contact(request: web.Request) -> web.Response:
    contact = await request.app[APPOINTMENTS].last_contact(param(request, OPENID))
    if contact is None:
        raise PortalError(404, "contact_not_found", "没有登记过的联系人")
    return ok(contact)


async def cancel_booking(request: web.Request) -> web.Response:
    who = await body(request, CancelRequest)
    booking_no = param(request, BOOKING_NO)
    await request.app[BOOKING_LOOKUP].check_cancel(booking_no, who, caller_key(request, who.openid))
    return ok(await request.app[APPOINTMENTS].cancel(booking_no, who))


async def mark_attendance(request: web.Request) -> web.Response:
    mark = await body(request, AttendanceMark)
    return ok(await request.app[APPOINTMENTS].mark_attendance(param(request, BOOKING_NO), mark))


async def query_application(request: web.Request) -> web.Response:
    who = await body(request, StatusQuery)
    return ok(await request.app[APPLICATIONS].query(param(request, APPLICATION_ID), who,
                                                    caller_key(request, who.openid)))


async def change_application_status(request: web.Request) -> web.Response:
    change = await body(request, StatusChange)
    return ok(await request.app[APPLICATIONS].change_status(param(request, APPLICATION_ID), change))


async def rate(request: web.Request) -> web.Response:
    return ok(await request.app[FEEDBACK].rate(await body(request, EvaluationRequest)), status=201)


async def rectification_queue(request: web.Request) -> web.Response:
    return ok({"evaluations": await request.app[FEEDBACK].rectification_queue()})


async def complain(request: web.Request) -> web.Response:
    return ok(await request.app[FEEDBACK].complain(await body(request, ComplaintRequest)), status=201)


async def complaint(request: web.Request) -> web.Response:
    full = caller_of(request) is Role.admin
    return ok(await request.app[FEEDBACK].complaint(param(request, REFERENCE), full))


ROUTES: List[Route] = [
    Route("GET", "/healthz", health, PUBLIC, "Liveness check"),
    Route("GET", "/api/v1/openapi.json", openapi_document, PUBLIC, "This document"),
    Route("GET", "/api/v1/guides/search", search_guides, PUBLIC, "Search service guides, best first", [Q, LIMIT]),
    Route("GET", "/api/v1/guides/{code}", guide_detail, PUBLIC, "A service guide in full", [CODE]),
    Route("GET", "/api/v1/halls", list_halls, PUBLIC, "Service halls"),
    Route("GET", "/api/v1/slots", list_slots, PUBLIC, "Bookable one-hour slots of an item", [ITEM_CODE, HALL_CODE]),
    Route("POST", "/api/v1/appointments", book, BOT,
          "Book a visit (idempotent by Idempotency-Key); name and phone, or a contact_handle", [IDEMPOTENCY_KEY],
          BookingRequest),
    Route("GET", "/api/v1/appointments", my_bookings, BOT, "Bookings of a WeChat openid", [OPENID]),
    Route("GET", "/api/v1/appointments/contact", last_contact, BOT,
          "The openid's latest contact, masked, with a handle a booking may carry instead", [OPENID]),
    Route("POST", "/api/v1/appointments/{booking_no}/cancel", cancel_booking, BOT,
          "Cancel a booking up to 2 hours before it; by phone, wrong pairs count as lookups",
          [BOOKING_NO], CancelRequest),
    Route("POST", "/api/v1/appointments/{booking_no}/attendance", mark_attendance, ADMIN,
          "Staff: mark a booking attended or a no-show", [BOOKING_NO], AttendanceMark),
    Route("POST", "/api/v1/applications/{application_id}/query", query_application, BOT,
          "Status of an application, after verification", [APPLICATION_ID], StatusQuery),
    Route("POST", "/api/v1/applications/{application_id}/events", change_application_status, ADMIN,
          "Staff: record a status change (posted to the webhook)", [APPLICATION_ID], StatusChange),
    Route("POST", "/api/v1/evaluations", rate, BOT, "Store a 好差评 rating", body=EvaluationRequest),
    Route("GET", "/api/v1/evaluations/rectification", rectification_queue, ADMIN,
          "Staff: bad ratings awaiting rectification"),
    Route("POST", "/api/v1/complaints", complain, BOT, "Register a complaint", body=ComplaintRequest),
    Route("GET", "/api/v1/complaints/{reference}", complaint, BOT_OR_ADMIN,
          "A complaint by reference: its status; the whole complaint with the admin key", [REFERENCE]),
]


# --- bookings made elsewhere: found by number + phone, guesses counted (portal.booking_lookup) ---

async def lookup_booking(request: web.Request) -> web.Response:
    who = await body(request, BookingLookupRequest)
    return ok(await request.app[BOOKING_LOOKUP].lookup(param(request, BOOKING_NO), who,
                                                       caller_key(request, who.openid)))


ROUTES.append(Route("POST", "/api/v1/appointments/{booking_no}/lookup", lookup_booking, BOT,
                    "A booking made on the web or by phone, by its number and the phone it was made with "
                    "(wrong pairs are counted with status verifications)", [BOOKING_NO], BookingLookupRequest))


# --- booking days: why a day cannot be booked --------------------------------------------

BOOKING_DATE = Param("date", "path", {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"})
BOOKING_ITEM = Param("item", "query", {"type": "string", "pattern": r"^[A-Z]{2,4}-\d{4}$"})


async def booking_day(request: web.Request) -> web.Response:
    try:
        day = date.fromisoformat(param(request, BOOKING_DATE))
    except ValueError:
        raise PortalError(400, "bad_date", "日期格式应为 YYYY-MM-DD") from None
    return ok(await request.app[APPOINTMENTS].booking_day(param(request, BOOKING_ITEM), day))


ROUTES.append(Route("GET", "/api/v1/booking-days/{date}", booking_day, BOT,
                    "Whether a day can be booked for an item, the reason if not (weekend, holiday, "
                    "outside_window, full) and its free slots", [BOOKING_DATE, BOOKING_ITEM]))


def setup_routes(app: web.Application) -> None:
    app[ROUTE_ROLES] = {app.router.add_route(route.method, route.path, route.handler): route.roles
                        for route in ROUTES}
