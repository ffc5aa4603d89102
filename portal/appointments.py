"""Bookings of in-person visits: one-hour slots per item and hall, capacity-safe and idempotent.

Capacity is guarded by one conditional ``UPDATE ... SET booked = booked + 1 WHERE booked <
capacity`` inside the booking transaction, so concurrent requests can never over-book on
either database; the unique ``Idempotency-Key`` makes a retried request return the first
booking instead of booking twice. Abuse limits per phone and per openid are checked in the
same transaction (:mod:`portal.booking_limits`); a cancel frees a seat only when its own
conditional update took the booking from ``booked``, so concurrent cancels free one seat.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govbot.clock import CHINA_TZ
from govbot.masking import mask_name, mask_phone
from portal import booking_limits, tables
from portal.catalog import Catalog, bring_list
from portal.contacts import ContactHandles
from portal.errors import PortalError
from portal.schemas import AttendanceMark, BookingRequest, CancelRequest
from portal.settings import DEFAULT_BOOKING_LIMITS, BookingLimits
from portal.webhook import Notifier, recipient
from portal.workdays import bookable_days, closed_reason, holiday_name

CANCEL_DEADLINE = timedelta(hours=2)
ALTERNATIVES = 3


class _SlotFull(Exception):
    """The slot had no seat left when the booking transaction tried to take one."""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Slot:
    hall_code: str
    day: date
    hour: int
    capacity: int
    booked: int

    @property
    def available(self) -> int:
        return max(self.capacity - self.booked, 0)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "hall_code": self.hall_code, "date": self.day.isoformat(), "hour": self.hour,
            "time": f"{self.hour:02d}:00-{self.hour + 1:02d}:00",
            "capacity": self.capacity, "available": self.available,
        }


class Appointments:
    def __init__(self, engine: AsyncEngine, catalog: Catalog, notifier: Notifier, now: Callable[[], datetime],
                 limits: BookingLimits = DEFAULT_BOOKING_LIMITS, contact_handle_seconds: float = 7200.0):
        self._engine = engine
        self._catalog = catalog
        self._notifier = notifier
        self._now = now
        self._limits = limits
        self._handles = ContactHandles(engine, now, contact_handle_seconds)

    # --- reading ---------------------------------------------------------------

    async def slots(self, item_code: str, hall_code: Optional[str] = None) -> List[Slot]:
        """Every slot in the booking window, full ones included (available = 0)."""
        capacities = self._capacities(item_code, hall_code)
        days = bookable_days(self._now())
        booked = await self._booked_counts(item_code, days)
        return [
            Slot(hall, day, hour, capacity, booked.get((hall, day.isoformat(), hour), 0))
            for hall, capacity in capacities.items()
            for day in days
            for hour in self._catalog.halls[hall].slot_hours()
        ]

    async def booking_day(self, item_code: str, day: date) -> Dict[str, Any]:
        """Whether ``day`` can be booked for the item and, if not, the true reason: "weekend",
        "holiday" (with its name), "outside_window" or "full"; with the day's free slots."""
        reason = closed_reason(day, self._now())
        free = [] if reason else [s.as_dict() for s in await self.slots(item_code) if s.day == day and s.available]
        if reason is None and not free:
            reason = "full"
        return {"date": day.isoformat(), "bookable": reason is None, "reason": reason,
                "holiday": holiday_name(day) if reason == "holiday" else None, "free": free}

    def _capacities(self, item_code: str, hall_code: Optional[str]) -> Dict[str, int]:
        guide = self._catalog.guides.get(item_code)
        if guide is None:
            raise PortalError(404, "item_not_found", f"没有编码为 {item_code} 的事项")
        capacities = {h.hall: h.capacity_per_slot for h in guide.halls}
        if not capacities:
            raise PortalError(422, "not_bookable", f"{guide.name}可全程网办，无需预约到现场")
        if hall_code is None:
            return capacities
        if hall_code not in capacities:
            raise PortalError(422, "hall_not_offered", f"{guide.name}不在该大厅办理",
                              {"halls": sorted(capacities)})
        return {hall_code: capacities[hall_code]}

    async def _booked_counts(self, item_code: str, days: List[date]) -> Dict[Tuple[str, str, int], int]:
        usage = tables.slot_usage
        query = sa.select(usage.c.hall_code, usage.c.day, usage.c.hour, usage.c.booked).where(
            usage.c.item_code == item_code, usage.c.day.in_([d.isoformat() for d in days]))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {(r.hall_code, r.day, r.hour): r.booked for r in rows}

    async def list_for_openid(self, openid: str) -> List[Dict[str, Any]]:
        query = sa.select(tables.bookings).where(tables.bookings.c.openid == openid).order_by(
            tables.bookings.c.day, tables.bookings.c.hour)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [self._render(row) for row in rows]

    async def last_contact(self, openid: str) -> Optional[Dict[str, str]]:
        """The contact of this openid's latest booking (cancelled ones too), masked, with a handle
        a booking of the same openid may carry instead of name and phone."""
        b = tables.bookings
        query = sa.select(b.c.booking_no, b.c.name, b.c.phone).where(b.c.openid == openid).order_by(
            b.c.created_at.desc(), b.c.booking_no.desc()).limit(1)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return {"name": mask_name(row.name), "phone": mask_phone(row.phone),
                "handle": await self._handles.issue(openid, row.booking_no)}

    async def get(self, booking_no: str) -> Dict[str, Any]:
        async with self._engine.connect() as conn:
            row = await self._fetch(conn, tables.bookings.c.booking_no == booking_no)
        if row is None:
            raise PortalError(404, "booking_not_found", "没有找到这条预约")
        return self._render(row)

    # --- booking -----------------------------------------------------------------

    async def book(self, request: BookingRequest, idempotency_key: str) -> Tuple[Dict[str, Any], bool]:
        """Books a slot; returns the booking and whether it was a replay of an earlier request."""
        request_hash = _fingerprint(request)
        replay = await self._replay(idempotency_key, request_hash)
        if replay is not None:
            return replay, True
        slot = self._check_slot(request)
        contact = await self._contact(request)
        for _attempt in range(3):  # a new random booking number on the rare collision
            try:
                booking = await self._insert(request, contact, slot, idempotency_key, request_hash)
            except (_SlotFull, PortalError) as refusal:
                replay = await self._replay(idempotency_key, request_hash)  # a concurrent twin took it first
                if replay is not None:
                    return replay, True
                if isinstance(refusal, PortalError):  # a booking limit
                    raise
                raise PortalError(409, "slot_full", "该时段已约满",
                                  {"alternatives": await self._nearest_free(request)}) from None
            except IntegrityError:
                conflict = await self._explain_conflict(request, contact, idempotency_key, request_hash)
                if conflict is not None:
                    return conflict, True
                continue
            self._notify("appointment.booked", request.openid, request.channel, booking)
            return booking, False
        raise PortalError(503, "busy", "系统繁忙，请稍后再试")

    async def _contact(self, request: BookingRequest) -> Contact:
        if request.contact_handle is None:
            return Contact(request.name or "", request.phone or "")
        booking_no = await self._handles.booking_of(request.contact_handle, request.openid or "")
        async with self._engine.connect() as conn:
            row = await self._fetch(conn, tables.bookings.c.booking_no == booking_no) if booking_no else None
        if row is None:
            raise PortalError(422, "contact_handle_invalid", "上次登记的联系人信息已失效，请重新提供姓名和手机号")
        return Contact(row["name"], row["phone"])

    def _check_slot(self, request: BookingRequest) -> Slot:
        capacity = self._capacities(request.item_code, request.hall_code)[request.hall_code]
        days = bookable_days(self._now())
        if request.date not in days:
            raise PortalError(422, "date_not_bookable",
                              f"只能预约 {days[0]:%m月%d日} 至 {days[-1]:%m月%d日} 之间的工作日",
                              {"bookable_dates": [d.isoformat() for d in days]})
        if request.hour not in self._catalog.halls[request.hall_code].slot_hours():
            raise PortalError(422, "hour_not_open", "该时段大厅不办公",
                              {"hours": self._catalog.halls[request.hall_code].slot_hours()})
        return Slot(request.hall_code, request.date, request.hour, capacity, 0)

    async def _insert(self, request: BookingRequest, contact: Contact, slot: Slot, key: str,
                      request_hash: str) -> Dict[str, Any]:
        row = {
            "booking_no": f"YY{request.date:%Y%m%d}{secrets.randbelow(10**8):08d}",
            "item_code": request.item_code, "hall_code": request.hall_code,
            "day": request.date.isoformat(), "hour": request.hour, "name": contact.name,
            "phone": contact.phone, "openid": request.openid, "channel": request.channel, "status": "booked",
            "idempotency_key": key, "request_hash": request_hash,
            "created_at": self._now().isoformat(timespec="seconds"), "cancelled_at": None, "reminded_at": None,
        }
        async with self._engine.begin() as conn:
            await booking_limits.serialise_person(conn, contact.phone, request.openid)
            await booking_limits.enforce(conn, self._limits, self._now(), contact.phone, request.openid,
                                         request.item_code)
            await self._claim_seat(conn, request, slot.capacity)
            await conn.execute(tables.bookings.insert().values(**row))
        return self._render(row)

    async def _claim_seat(self, conn: AsyncConnection, request: BookingRequest, capacity: int) -> None:
        usage = tables.slot_usage
        key = {"item_code": request.item_code, "hall_code": request.hall_code,
               "day": request.date.isoformat(), "hour": request.hour}
        await conn.execute(_insert_ignore(conn, usage, {**key, "booked": 0}))
        claimed = await conn.execute(
            usage.update().where(*(usage.c[k] == v for k, v in key.items()), usage.c.booked < capacity)
            .values(booked=usage.c.booked + 1))
        if claimed.rowcount == 0:
            raise _SlotFull()

    async def _nearest_free(self, request: BookingRequest) -> List[Dict[str, Any]]:
        wanted = datetime.combine(request.date, datetime.min.time()) + timedelta(hours=request.hour)
        free = [s for s in await self.slots(request.item_code, request.hall_code) if s.available]
        free.sort(key=lambda s: abs(datetime.combine(s.day, datetime.min.time()) + timedelta(hours=s.hour) - wanted))
        return [s.as_dict() for s in free[:ALTERNATIVES]]

    async def _replay(self, key: str, request_hash: str) -> Optional[Dict[str, Any]]:
        async with self._engine.connect() as conn:
            row = await self._fetch(conn, tables.bookings.c.idempotency_key == key)
        if row is None:
            return None
        if row["request_hash"] != request_hash:
            raise PortalError(422, "idempotency_key_reused", "同一个 Idempotency-Key 不能用于不同的预约请求")
        return self._render(row)

    async def _explain_conflict(self, request: BookingRequest, contact: Contact, key: str,
                                request_hash: str) -> Optional[Dict[str, Any]]:
        replay = await self._replay(key, request_hash)
        if replay is not None:
            return replay
        b = tables.bookings
        async with self._engine.connect() as conn:
            existing = await self._fetch(conn, b.c.phone == contact.phone, b.c.item_code == request.item_code,
                                         b.c.day == request.date.isoformat(), b.c.status == "booked")
        if existing is not None:
            raise PortalError(409, "already_booked", "您当天已预约过该事项，每人每天每个事项只能预约一次",
                              {"booking": self._render(existing)})
        return None

    async def send_reminders(self) -> int:
        """Posts ``appointment.reminder`` once for every booking of the next day (the day before)."""
        b = tables.bookings
        tomorrow = (self._now().date() + timedelta(days=1)).isoformat()
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(b).where(
                b.c.day == tomorrow, b.c.status == "booked", b.c.openid.isnot(None),
                b.c.reminded_at.is_(None)))).mappings().all()
        sent = 0
        for row in rows:
            async with self._engine.begin() as conn:
                marked = await conn.execute(b.update().where(b.c.booking_no == row["booking_no"],
                                                             b.c.reminded_at.is_(None))
                                            .values(reminded_at=self._now().isoformat(timespec="seconds")))
            if marked.rowcount:  # another portal process may have taken it
                self._notify("appointment.reminder", row["openid"], row["channel"], self._render(dict(row)))
                sent += 1
        return sent

    def _notify(self, event: str, openid: Optional[str], channel: Optional[str], booking: Dict[str, Any]) -> None:
        if openid:
            self._notifier.send({"event": event, **recipient(openid, channel), **booking})

    # --- cancelling ------------------------------------------------------------------

    async def cancel(self, booking_no: str, who: CancelRequest) -> Dict[str, Any]:
        b, usage = tables.bookings, tables.slot_usage
        async with self._engine.begin() as conn:
            row = await self._fetch(conn, b.c.booking_no == booking_no)
            if row is None or not _same_person(row, who):
                raise PortalError(404, "booking_not_found", "没有找到这条预约")
            if row["status"] != "booked":
                raise PortalError(409, "already_cancelled", "这条预约已经取消了")
            if _starts_at(row) - self._now() < CANCEL_DEADLINE:
                raise PortalError(409, "too_late_to_cancel", "距预约时间不足2小时，已不能在线取消")
            now = self._now().isoformat(timespec="seconds")
            taken = await conn.execute(b.update().where(b.c.booking_no == booking_no, b.c.status == "booked")
                                       .values(status="cancelled", cancelled_at=now))
            if taken.rowcount != 1:  # a concurrent cancel got there first: its seat is already free
                raise PortalError(409, "already_cancelled", "这条预约已经取消了")
            await conn.execute(usage.update().where(
                usage.c.item_code == row["item_code"], usage.c.hall_code == row["hall_code"],
                usage.c.day == row["day"], usage.c.hour == row["hour"]).values(booked=usage.c.booked - 1))
        return self._render({**row, "status": "cancelled", "cancelled_at": now})

    # --- attendance (staff) --------------------------------------------------------------

    async def mark_attendance(self, booking_no: str, mark: AttendanceMark) -> Dict[str, Any]:
        """Staff record whether the citizen came; unmarked past bookings count as no-shows."""
        b = tables.bookings
        status = "attended" if mark.attended else "no_show"
        now = self._now().isoformat(timespec="seconds")
        async with self._engine.begin() as conn:
            row = await self._fetch(conn, b.c.booking_no == booking_no)
            if row is None:
                raise PortalError(404, "booking_not_found", "没有找到这条预约")
            if row["status"] == "cancelled":
                raise PortalError(409, "already_cancelled", "这条预约已经取消了")
            if row["day"] > self._now().date().isoformat():
                raise PortalError(409, "not_yet_due", "预约日期未到，不能登记到场情况")
            await conn.execute(b.update().where(b.c.booking_no == booking_no, b.c.status != "cancelled")
                               .values(status=status, attendance_at=now))
        return self._render({**row, "status": status})

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    async def _fetch(conn: AsyncConnection, *conditions: Any) -> Optional[Dict[str, Any]]:
        row = (await conn.execute(sa.select(tables.bookings).where(*conditions))).mappings().first()
        return dict(row) if row is not None else None

    def _render(self, row: Dict[str, Any]) -> Dict[str, Any]:
        guide = self._catalog.guides[row["item_code"]]
        hall = self._catalog.halls[row["hall_code"]]
        window = next(h.window for h in guide.halls if h.hall == hall.code)
        return {
            "booking_no": row["booking_no"], "status": row["status"],
            "item_code": guide.code, "item_name": guide.name,
            "hall_code": hall.code, "hall_name": hall.name, "address": hall.address, "window": window,
            "date": row["day"], "hour": row["hour"], "time": f"{row['hour']:02d}:00-{row['hour'] + 1:02d}:00",
            "name": mask_name(row["name"]), "phone": mask_phone(row["phone"]),
            "materials": [m.dict(exclude_none=True) for m in guide.materials],
            "bring": bring_list(guide),  # h-guides: what to bring, without what the window provides
            "created_at": row["created_at"], "cancelled_at": row["cancelled_at"],
        }


def _insert_ignore(conn: AsyncConnection, table: sa.Table, values: Dict[str, Any]) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values(**values).on_conflict_do_nothing()


def _fingerprint(request: BookingRequest) -> str:
    return hashlib.sha256(request.json(sort_keys=True).encode()).hexdigest()


def _same_person(row: Dict[str, Any], who: CancelRequest) -> bool:
    return (who.openid is not None and who.openid == row["openid"]) or (
        who.phone is not None and who.phone == row["phone"])


def _starts_at(row: Dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["day"]).replace(hour=row["hour"], tzinfo=CHINA_TZ)
