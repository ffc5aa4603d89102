"""Portal settings, read once from the environment at start-up.

Keys (``Authorization: Bearer <key>``):

- ``PORTAL_API_KEY``: the bot's key. Required: without it the portal refuses to start,
  unless started explicitly as the open demo (``govbot portal --demo``), where every caller
  without a key is treated as the bot.
- ``PORTAL_ADMIN_KEY``: staff operations (status events, attendance, the rectification
  queue, complaint details). Unset: those operations are refused to everyone.

Abuse limits (environment name in brackets; each counted per phone and per openid):

- ``PORTAL_MAX_ACTIVE_BOOKINGS_PER_ITEM`` (2): upcoming bookings of one item.
- ``PORTAL_MAX_BOOKINGS_PER_DAY`` (3): bookings made on one China calendar day.
- ``PORTAL_MAX_CANCELLATIONS_PER_MONTH`` (3): cancellations in the current calendar month;
  at the limit no new booking is taken until the month ends.
- ``PORTAL_MAX_NO_SHOWS`` (3) within ``PORTAL_NO_SHOW_DAYS`` (90): a no-show is a booking
  whose hour has passed and that staff did not mark attended (``POST
  /api/v1/appointments/{booking_no}/attendance``); with no attendance system every past
  booking counts, so a deployment without one should raise the limit or mark attendance.

Status-query verification failures (``PORTAL_STATUS_FAILURES_*``): per (application,
caller) 5 in 15 minutes, per caller 10 in an hour, per application 10 in an hour. The caller
is the authenticated key's role plus the openid the bot sends; a caller whose openid is
bound to the application is never held back by anyone's failures.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Optional

from govbot import envsettings as read
from govbot.clock import china_now

DEFAULT_SQLITE_PATH = Path("var") / "portal.sqlite3"


class InsecureSettings(ValueError):
    """The settings would expose citizens' data; the portal does not start with them."""


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events within ``seconds``."""
    count: int
    seconds: float

    @property
    def minutes(self) -> int:
        return max(1, int(self.seconds // 60))


@dataclass(frozen=True)
class BookingLimits:
    active_per_item: int = 2
    per_day: int = 3
    cancellations_per_month: int = 3
    no_shows: int = 3
    no_show_days: int = 90


@dataclass(frozen=True)
class StatusLimits:
    per_caller_application: Limit = Limit(5, 15 * 60)
    per_caller: Limit = Limit(10, 3600)
    per_application: Limit = Limit(10, 3600)


DEFAULT_BOOKING_LIMITS = BookingLimits()
DEFAULT_STATUS_LIMITS = StatusLimits()


@dataclass(frozen=True)
class PortalSettings:
    database_url: str
    api_key: Optional[str] = None
    admin_key: Optional[str] = None
    demo: bool = False  # open demo: a caller without a key counts as the bot (only when api_key is unset)
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None
    reminder_interval: float = 600.0  # seconds between checks for tomorrow's bookings
    contact_handle_seconds: float = 2 * 3600  # how long a contact handle given to the bot stays valid
    booking_limits: BookingLimits = BookingLimits()
    status_limits: StatusLimits = StatusLimits()
    now: Callable[[], datetime] = field(default=china_now, compare=False)

    def check(self) -> None:
        """Refuses settings that would leave the portal open by accident."""
        if not self.api_key and not self.demo:
            raise InsecureSettings("PORTAL_API_KEY is not set: the portal refuses to start without it. "
                                   "Set it (the bot sends it as 'Authorization: Bearer <key>'), or start the "
                                   "open demo explicitly with 'govbot portal --demo'.")
        if self.admin_key and self.admin_key == self.api_key:
            raise InsecureSettings("PORTAL_ADMIN_KEY must differ from PORTAL_API_KEY.")

    @property
    def open_demo(self) -> bool:
        return self.demo and not self.api_key

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, demo: bool = False) -> "PortalSettings":
        return cls(
            database_url=read.text(env, "DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
            api_key=read.text(env, "PORTAL_API_KEY"),
            admin_key=read.text(env, "PORTAL_ADMIN_KEY"),
            demo=demo,
            webhook_url=read.url(env, "PORTAL_WEBHOOK_URL"),
            webhook_secret=read.text(env, "PORTAL_WEBHOOK_SECRET"),
            reminder_interval=read.number(env, "PORTAL_REMINDER_INTERVAL", cls.reminder_interval, minimum=1),
            booking_limits=_booking_limits(env),
            status_limits=_status_limits(env),
        )


def _booking_limits(env: Mapping[str, str]) -> BookingLimits:
    default = BookingLimits()
    return BookingLimits(
        active_per_item=read.whole(env, "PORTAL_MAX_ACTIVE_BOOKINGS_PER_ITEM", default.active_per_item),
        per_day=read.whole(env, "PORTAL_MAX_BOOKINGS_PER_DAY", default.per_day),
        cancellations_per_month=read.whole(env, "PORTAL_MAX_CANCELLATIONS_PER_MONTH", default.cancellations_per_month),
        no_shows=read.whole(env, "PORTAL_MAX_NO_SHOWS", default.no_shows),
        no_show_days=read.whole(env, "PORTAL_NO_SHOW_DAYS", default.no_show_days),
    )


def _status_limits(env: Mapping[str, str]) -> StatusLimits:
    default = StatusLimits()

    def limit(name: str, default_limit: Limit) -> Limit:
        return Limit(read.whole(env, f"PORTAL_STATUS_FAILURES_{name}", default_limit.count), default_limit.seconds)

    return StatusLimits(per_caller_application=limit("PER_CALLER_APPLICATION", default.per_caller_application),
                        per_caller=limit("PER_CALLER", default.per_caller),
                        per_application=limit("PER_APPLICATION", default.per_application))
