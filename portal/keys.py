"""Typed application keys shared by the app factory and the handlers."""
from aiohttp import web

from portal.applications import Applications
from portal.appointments import Appointments
from portal.booking_lookup import BookingLookup
from portal.catalog import Catalog
from portal.feedback import Feedback
from portal.search import GuideIndex
from portal.settings import PortalSettings

SETTINGS = web.AppKey("settings", PortalSettings)
CATALOG = web.AppKey("catalog", Catalog)
INDEX = web.AppKey("index", GuideIndex)
APPOINTMENTS = web.AppKey("appointments", Appointments)
APPLICATIONS = web.AppKey("applications", Applications)
FEEDBACK = web.AppKey("feedback", Feedback)
BOOKING_LOOKUP = web.AppKey("booking_lookup", BookingLookup)  # bookings made elsewhere (h-status)
ROUTE_ROLES = web.AppKey("route_roles", dict)  # aiohttp route -> roles allowed to call it (portal.auth)
