"""How long a citizen waits for staff, measured from the conversations staff claimed recently.

For each recent claim: the wait (from the request to the claim) divided by the citizen's place in
the queue on arrival (1 + the citizens still waiting then). Idle hours do not inflate it (a citizen
who found the queue empty counts only their own wait) and a busy queue is seen as busy. The median
of the last ``SAMPLES`` is the time one place in the queue takes; before ``MIN_SAMPLES`` claims
were seen (a new deployment), ``DEFAULT_PER_PLACE`` is said. Messages left outside staff hours
(tickets) wait for the next working day by design and are not counted.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from console import tables
from console.timestamps import instant, read, stamp

SAMPLES = 20  # the recent claims the time per place is the median of
MIN_SAMPLES = 3
LOOK_BACK = timedelta(days=7)
DEFAULT_PER_PLACE = timedelta(minutes=3)  # staff answer first within a few minutes


@dataclass(frozen=True)
class Stay:
    """One conversation's time in the queue: from the request until claimed (or ended unclaimed)."""
    arrived: datetime
    left: Optional[datetime]  # None: still waiting
    claimed: bool


def time_per_place(stays: Sequence[Stay]) -> Optional[timedelta]:
    """The median, over the last ``SAMPLES`` claims, of each one's wait divided by its place in the
    queue on arrival; None with fewer than ``MIN_SAMPLES`` claims."""
    claims = sorted(((s.left, s) for s in stays if s.claimed and s.left is not None), key=lambda c: c[0])
    per_place = [_wait_per_place(claim, claimed_at, stays) for claimed_at, claim in claims[-SAMPLES:]]
    if len(per_place) < MIN_SAMPLES:
        return None
    return timedelta(seconds=statistics.median(per_place))


def _wait_per_place(claim: Stay, claimed_at: datetime, stays: Sequence[Stay]) -> float:
    ahead = sum(1 for other in stays if other.arrived < claim.arrived
                and (other.left is None or other.left > claim.arrived))
    return (claimed_at - claim.arrived).total_seconds() / (ahead + 1)


async def recent_stays(engine: AsyncEngine, now: datetime) -> List[Stay]:
    """The conversations that asked for staff within ``LOOK_BACK``, tickets left out."""
    columns = tables.sessions.c
    ticketed = sa.select(tables.tickets.c.session_id)
    query = (sa.select(columns.created_at, columns.claimed_at, columns.closed_at)
             .where(columns.created_at >= stamp(now - LOOK_BACK), columns.id.not_in(ticketed)))
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [_stay(*row) for row in rows]


def _stay(created_at: str, claimed_at: Optional[str], closed_at: Optional[str]) -> Stay:
    claimed, closed = read(claimed_at), read(closed_at)
    return Stay(instant(created_at), claimed or closed, claimed is not None)


async def expected_wait(engine: AsyncEngine, now: datetime, places: int) -> timedelta:
    """What a citizen at ``places`` in the queue (1: next) is told to expect."""
    measured = time_per_place(await recent_stays(engine, now))
    return (measured or DEFAULT_PER_PLACE) * places
