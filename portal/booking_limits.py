"""Booking abuse limits (号贩子): per phone and per openid, checked inside the booking transaction.

What is counted (limits in :class:`portal.settings.BookingLimits`):

- active bookings of the item: booked, and its hour not yet over;
- bookings made today (China calendar day), cancelled ones included, so booking and
  cancelling in a loop does not get round it;
- cancellations in the current calendar month;
- no-shows in the last ``no_show_days`` days: bookings whose hour is over and that staff did
  not mark attended (still ``booked``, or marked ``no_show``).

The person's rows are serialised first (SQLite: ``BEGIN IMMEDIATE`` already does it;
PostgreSQL: a transaction-scoped advisory lock per phone and per openid), so concurrent
bookings of one person cannot both pass the count.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from portal import tables
from portal.errors import PortalError
from portal.settings import BookingLimits

ELSEWHERE = "如需办理，可到大厅现场取号或拨打12345咨询"


async def serialise_person(conn: AsyncConnection, phone: str, openid: Optional[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for key in sorted(k for k in (f"phone:{phone}", f"openid:{openid}" if openid else None) if k):
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def enforce(conn: AsyncConnection, limits: BookingLimits, now: datetime, phone: str,
                  openid: Optional[str], item_code: str) -> None:
    b = tables.bookings
    for who in (b.c.phone == phone, b.c.openid == openid if openid else None):
        if who is not None:
            usage = (await conn.execute(_usage_query(who, now, item_code, limits.no_show_days))).one()
            _refuse_over(limits, usage)


def _usage_query(who: Any, now: datetime, item_code: str, no_show_days: int) -> Any:
    b = tables.bookings
    today = now.date().isoformat()
    upcoming = sa.or_(b.c.day > today, sa.and_(b.c.day == today, b.c.hour >= now.hour))
    over = sa.or_(b.c.day < today, sa.and_(b.c.day == today, b.c.hour < now.hour))
    since = (now.date() - timedelta(days=no_show_days)).isoformat()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="seconds")
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="seconds")

    def count(*conditions: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    return sa.select(
        count(b.c.status == "booked", b.c.item_code == item_code, upcoming).label("active"),
        count(b.c.created_at >= day_start).label("today"),
        count(b.c.status == "cancelled", b.c.cancelled_at >= month_start).label("cancellations"),
        count(b.c.status.in_(("booked", "no_show")), over, b.c.day >= since).label("no_shows"),
    ).where(who)


def _refuse_over(limits: BookingLimits, usage: Any) -> None:
    if usage.active >= limits.active_per_item:
        raise PortalError(409, "too_many_active_bookings",
                          f"您已有{usage.active}个该事项的有效预约，请办理或取消后再预约")
    if usage.today >= limits.per_day:
        raise PortalError(429, "too_many_bookings_today", f"今天的预约次数已达上限（{limits.per_day}次），请明天再试")
    if usage.cancellations >= limits.cancellations_per_month:
        raise PortalError(429, "too_many_cancellations",
                          f"本月已取消预约{usage.cancellations}次，本月暂不能在线预约。{ELSEWHERE}")
    if usage.no_shows >= limits.no_shows:
        raise PortalError(429, "too_many_no_shows",
                          f"近{limits.no_show_days}天内有{usage.no_shows}次预约未到场，暂不能在线预约。{ELSEWHERE}")


__all__ = ["enforce", "serialise_person"]
