"""Finding a booking made elsewhere (on the web, by phone) by its number and the phone it was
made with, so a citizen can cancel it from WeChat.

Both must match. Every wrong pair is a guess and counted like a wrong status verification
(:mod:`portal.attempts`), in the caller's one budget shared with status lookups, so booking
numbers cannot be used to probe phones. "No such booking" and "wrong phone" give the same
answer, with the attempts left.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import tables
from portal.applications import caller_bucket
from portal.appointments import Appointments
from portal.attempts import Attempts, Bucket
from portal.errors import PortalError
from portal.schemas import PHONE_PATTERN, CancelRequest, Strict
from portal.settings import DEFAULT_STATUS_LIMITS, StatusLimits

NOT_FOUND_CODE = "booking_not_found"
NOT_FOUND_MESSAGE = "没有找到与该预约号和手机号相符的预约，请核对后再试"


class BookingLookupRequest(Strict):
    """Who asks (the citizen's openid, for rate limiting) and the phone the booking was made with."""
    openid: str = Field(..., min_length=1, max_length=64)
    phone: str = Field(..., regex=PHONE_PATTERN)


class BookingLookup:
    def __init__(self, engine: AsyncEngine, appointments: Appointments, now: Callable[[], datetime],
                 limits: StatusLimits = DEFAULT_STATUS_LIMITS):
        self._engine = engine
        self._appointments = appointments
        self._limits = limits
        self._attempts = Attempts(engine, now)

    async def lookup(self, booking_no: str, who: BookingLookupRequest, caller: str) -> Dict[str, Any]:
        """The booking, as ``GET /appointments`` shows it, when number and phone belong together."""
        await self._verify_phone(booking_no, who.phone, caller)
        return await self._appointments.get(booking_no)

    async def check_cancel(self, booking_no: str, who: CancelRequest, caller: str) -> None:
        """A cancel by phone is a guess like a lookup, unless the openid that booked asks: counted
        in the same budget, so the cancel route cannot be used to probe phones either."""
        owner = await self._column_of(booking_no, tables.bookings.c.openid)
        if who.phone is not None and not (who.openid is not None and who.openid == owner):
            await self._verify_phone(booking_no, who.phone, caller)

    async def _verify_phone(self, booking_no: str, phone: str, caller: str) -> None:
        known = await self._column_of(booking_no, tables.bookings.c.phone)
        correct = known is not None and known == phone
        left = await self._attempts.guess(self._buckets(booking_no, caller), correct)
        if not correct:
            raise PortalError(404, NOT_FOUND_CODE, NOT_FOUND_MESSAGE, {"attempts_left": left})

    def _buckets(self, booking_no: str, caller: str) -> List[Bucket]:
        limits = self._limits
        return [Bucket(f"lookup:{booking_no}:{caller}", limits.per_caller_application),
                caller_bucket(caller, limits),
                Bucket(f"lookup:{booking_no}", limits.per_application)]

    async def _column_of(self, booking_no: str, column: "sa.Column[Any]") -> Optional[str]:
        async with self._engine.connect() as conn:
            return (await conn.execute(sa.select(column).where(tables.bookings.c.booking_no == booking_no))).scalar()
