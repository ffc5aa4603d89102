"""好差评 ratings (GB/T 39735-2020 five levels) and complaints.

What the bot gets back is only what it tells the citizen: a rating's level, a complaint's
reference and status. Texts, contacts and openids go to staff (the admin key) only.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Callable, Dict, List

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import tables
from portal.errors import PortalError
from portal.schemas import ComplaintRequest, EvaluationRequest
from portal.workdays import working_days_after

BAD_SCORE = 2  # 不满意 and 非常不满意 go to the rectification queue
ANSWER_WORKDAYS = 5  # a complaint is answered within 5 China working days (答复期限)


class Feedback:
    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime]):
        self._engine = engine
        self._now = now

    async def rate(self, rating: EvaluationRequest) -> Dict[str, Any]:
        row = {**rating.dict(), "level": rating.level.value, "score": rating.level.score,
               "created_at": self._stamp(), "rectified": False}
        async with self._engine.begin() as conn:
            result = await conn.execute(tables.evaluations.insert().values(**row))
        return {"id": result.inserted_primary_key[0], "level": row["level"], "score": row["score"],
                "created_at": row["created_at"], "needs_rectification": row["score"] <= BAD_SCORE}

    async def rectification_queue(self) -> List[Dict[str, Any]]:
        """Bad ratings not yet rectified, oldest first (整改 within the time the rules set)."""
        e = tables.evaluations
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(e).where(e.c.score <= BAD_SCORE, e.c.rectified.is_(False))
                                       .order_by(e.c.id))).mappings().all()
        return [dict(row) for row in rows]

    async def complain(self, complaint: ComplaintRequest) -> Dict[str, Any]:
        for _attempt in range(3):
            row = {**complaint.dict(), "status": "received", "created_at": self._stamp(),
                   "reference": f"TS{self._now():%Y%m%d}{secrets.randbelow(10**6):06d}"}
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(tables.complaints.insert().values(**row))
                return _status_only(row)
            except IntegrityError:
                continue
        raise PortalError(503, "busy", "系统繁忙，请稍后再试")

    async def complaint(self, reference: str, full: bool) -> Dict[str, Any]:
        """The whole complaint for staff (``full``); its status only for anyone else."""
        c = tables.complaints
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(c).where(c.c.reference == reference))).mappings().first()
        if row is None:
            raise PortalError(404, "complaint_not_found", "没有找到这条投诉")
        return {**dict(row), **_status_only(row)} if full else _status_only(row)

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="seconds")


def _status_only(row: Any) -> Dict[str, Any]:
    return {"reference": row["reference"], "status": row["status"], "created_at": row["created_at"],
            "answer_by": answer_by(row["created_at"])}


def answer_by(created_at: str) -> str:
    """The last day of the answer period: ANSWER_WORKDAYS China working days after the day it came
    in (``created_at`` is China time), so a complaint on a Friday before 国庆 waits out the holiday."""
    return working_days_after(datetime.fromisoformat(created_at).date(), ANSWER_WORKDAYS).isoformat()
