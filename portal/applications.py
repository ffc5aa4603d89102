"""Applications (办件) and their status timelines, shown only to a verified applicant.

"Not found" and "wrong verification" give the same answer. Guesses of the phone's last four
digits are limited per (application, caller), per caller and per application, with the
check and the count in one atomic step (:mod:`portal.attempts`). A wrong guess is answered
with the attempts left (the same for a number that does not exist). The caller is who the key
and the bot-supplied openid say, never a field the client picks; a caller whose openid is
bound to the application is answered without counting, so nobody's failures lock it out;
and a lookup by openid alone guesses nothing, so it is never counted as a failure.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govbot.masking import mask_name
from portal import tables
from portal.attempts import Attempts, Bucket
from portal.catalog import Catalog
from portal.errors import PortalError
from portal.schemas import ApplicationStatus, StatusChange, StatusQuery
from portal.settings import DEFAULT_STATUS_LIMITS, StatusLimits
from portal.webhook import Notifier, recipient

NEXT_STEP = {
    ApplicationStatus.submitted: "等待窗口受理，一般1个工作日内完成",
    ApplicationStatus.accepted: "进入审核，审核结果会通过本公众号通知您",
    ApplicationStatus.reviewing: "审核通过后办结，结果会通过本公众号通知您",
    ApplicationStatus.correction: "请按要求补齐材料，补正后重新进入审核",
    ApplicationStatus.completed: "已办结，可按告知方式领取结果（窗口领取或邮寄）",
    ApplicationStatus.rejected: "不予受理，可按告知书说明修改后重新申请",
}
NOT_FOUND = PortalError(404, "application_not_found", "没有查到与该受理号和验证信息相符的办件，请核对后再试")


class Applications:
    def __init__(self, engine: AsyncEngine, catalog: Catalog, notifier: Notifier,
                 now: Callable[[], datetime], limits: StatusLimits = DEFAULT_STATUS_LIMITS):
        self._engine = engine
        self._catalog = catalog
        self._notifier = notifier
        self._now = now
        self._limits = limits
        self._attempts = Attempts(engine, now)

    async def query(self, application_id: str, who: StatusQuery, caller: str) -> Dict[str, Any]:
        """``caller`` is the authenticated identity (portal.auth.caller_key), ``who`` the verification."""
        async with self._engine.connect() as conn:
            row = await _fetch(conn, application_id)
        if row is not None and _bound_to(row, who.openid):
            return await self._render(row)
        if not who.phone_last4 and not who.phone:
            raise NOT_FOUND  # a lookup by openid alone guesses nothing: never counted
        correct = row is not None and _phone_matches(row["phone"], who)
        left = await self._attempts.guess(self._buckets(application_id, caller), correct)
        if row is None or not correct:
            raise PortalError(404, NOT_FOUND.code, NOT_FOUND.message, {"attempts_left": left})
        if who.openid and not row["openid"]:
            await self._bind_openid(application_id, who.openid, who.channel)
        return await self._render(row)

    def _buckets(self, application_id: str, caller: str) -> List[Bucket]:
        limits = self._limits
        return [Bucket(f"status:{application_id}:{caller}", limits.per_caller_application),
                caller_bucket(caller, limits),
                Bucket(f"status:{application_id}", limits.per_application)]

    async def change_status(self, application_id: str, change: StatusChange) -> Dict[str, Any]:
        """Appends a step to the timeline and tells the webhook (status notifications)."""
        at = self._now().isoformat(timespec="seconds")
        async with self._engine.begin() as conn:
            row = await _fetch(conn, application_id)
            if row is None:
                raise PortalError(404, "application_not_found", "没有这个受理号")
            await conn.execute(tables.applications.update().where(
                tables.applications.c.application_id == application_id).values(status=change.status.value))
            await conn.execute(tables.application_events.insert().values(
                application_id=application_id, status=change.status.value, department=change.department,
                at=at, note=change.note,
                correction=change.correction.json(ensure_ascii=False) if change.correction else None))
        rendered = await self._render({**row, "status": change.status.value})
        self._notifier.send({"event": "application.status_changed", **recipient(row["openid"], row["channel"]),
                             **rendered})
        return rendered

    async def _render(self, row: Dict[str, Any]) -> Dict[str, Any]:
        events = tables.application_events
        async with self._engine.connect() as conn:
            steps = (await conn.execute(sa.select(events).where(
                events.c.application_id == row["application_id"]).order_by(events.c.id))).mappings().all()
        guide = self._catalog.guides.get(row["item_code"])
        timeline = [_step(step) for step in steps]
        return {
            "application_id": row["application_id"],
            "item_code": row["item_code"], "item_name": guide.name if guide else row["item_code"],
            "applicant": mask_name(row["applicant_name"]),
            "status": row["status"], "submitted_at": row["submitted_at"],
            "current": timeline[-1] if timeline else None,
            "next_step": NEXT_STEP[ApplicationStatus(row["status"])],
            "timeline": timeline,
        }

    async def _bind_openid(self, application_id: str, openid: str, channel: Optional[str]) -> None:
        apps = tables.applications
        async with self._engine.begin() as conn:
            await conn.execute(apps.update().where(
                apps.c.application_id == application_id, apps.c.openid.is_(None)).values(openid=openid,
                                                                                         channel=channel))


async def _fetch(conn: AsyncConnection, application_id: str) -> Optional[Dict[str, Any]]:
    apps = tables.applications
    row = (await conn.execute(sa.select(apps).where(apps.c.application_id == application_id))).mappings().first()
    return dict(row) if row is not None else None


def _bound_to(row: Dict[str, Any], openid: Optional[str]) -> bool:
    """The openid verified this application before (bound at its first phone verification)."""
    return bool(openid) and row["openid"] == openid


def _step(step: Any) -> Dict[str, Any]:
    rendered = {"status": step["status"], "at": step["at"], "department": step["department"], "note": step["note"]}
    if step["correction"]:
        rendered["correction"] = json.loads(step["correction"])
    return rendered


def caller_bucket(caller: str, limits: StatusLimits) -> Bucket:
    """Every wrong guess of one caller, whatever it guessed (an application's phone, a booking's):
    one budget, so switching from status numbers to booking numbers buys no extra guesses."""
    return Bucket(f"status-caller:{caller}", limits.per_caller)


__all__: List[str] = ["Applications", "NEXT_STEP", "caller_bucket"]


def _phone_matches(phone: str, who: StatusQuery) -> bool:
    """Both given: both must hold; the whole number is compared whole, never by its tail alone."""
    return (who.phone is None or phone == who.phone) and (who.phone_last4 is None or phone[-4:] == who.phone_last4)
