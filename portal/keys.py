"""Typed application keys shared by the app factory and the handlers."""
from aiohttp import web

from portal.appointments import Appointments
from portal.applications import Applications
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
ROUTE_ROLES = web.AppKey("route_roles", dict)  # aiohttp route -> roles allowed to call it (portal.auth)
