"""The audit log: who did what to which conversation or account, and when.

Rows are written on the connection of the change they describe, so an action and its audit row
are committed together or not at all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console import tables
from console.timestamps import instant, stamp


@dataclass(frozen=True)
class AuditEntry:
    staff_id: Optional[int]  # None: the citizen or the system
    action: str
    target: str
    details: Dict[str, Any]
    at: datetime


def session_target(session_id: int) -> str:
    return f"session:{session_id}"


def staff_target(staff_id: int) -> str:
    return f"staff:{staff_id}"


async def record(connection: AsyncConnection, at: datetime, action: str, target: str,
                 staff_id: Optional[int] = None, details: Optional[Mapping[str, Any]] = None) -> None:
    await connection.execute(tables.audit.insert().values(
        staff_id=staff_id, action=action, target=target, at=stamp(at),
        details=json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True)))


async def entries(engine: AsyncEngine, target: Optional[str] = None) -> List[AuditEntry]:
    """The log in the order it was written, of one target or of everything."""
    query = sa.select(tables.audit).order_by(tables.audit.c.id)
    if target is not None:
        query = query.where(tables.audit.c.target == target)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [AuditEntry(row["staff_id"], row["action"], row["target"], json.loads(row["details"]),
                       instant(row["at"])) for row in rows]

