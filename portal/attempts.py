"""Fixed-window attempt counters whose check and count are one statement.

``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` bumps a counter and reads the new value
atomically on SQLite (3.35+) and PostgreSQL alike, so a burst of concurrent requests can
never get more attempts evaluated than the limit allows. A reservation covering several
buckets is one transaction: when any bucket is over its limit, none is counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from portal.errors import PortalError
from portal.settings import Limit

BUMP = sa.text("""
INSERT INTO attempt_counters (bucket, window_start, attempts) VALUES (:bucket, :now, 1)
ON CONFLICT (bucket) DO UPDATE SET
  attempts = CASE WHEN attempt_counters.window_start <= :expired THEN 1 ELSE attempt_counters.attempts + 1 END,
  window_start = CASE WHEN attempt_counters.window_start <= :expired THEN :now ELSE attempt_counters.window_start END
RETURNING attempts, window_start
""")
REFUND = sa.text("UPDATE attempt_counters SET attempts = attempts - 1 WHERE bucket = :bucket AND attempts > 0")


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: Limit


class LimitReached(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"limit reached; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class Attempts:
    def __init__(self, engine: AsyncEngine, now: Callable[[], datetime]):
        self._engine = engine
        self._now = now

    async def reserve(self, buckets: Sequence[Bucket]) -> int:
        """Counts one attempt in every bucket, or raises :class:`LimitReached` and counts none.

        Returns how many attempts are left after this one in the tightest bucket."""
        now = self._now().timestamp()
        left = None
        async with self._engine.begin() as conn:
            for bucket in buckets:  # always the same order: no deadlock between two reservations
                attempts, window_start = (await conn.execute(BUMP, {
                    "bucket": bucket.key, "now": now, "expired": now - bucket.limit.seconds})).one()
                if attempts > bucket.limit.count:
                    raise LimitReached(window_start + bucket.limit.seconds - now)  # rolls the transaction back
                left = bucket.limit.count - attempts if left is None else min(left, bucket.limit.count - attempts)
        return left or 0

    async def guess(self, buckets: Sequence[Bucket], correct: bool) -> int:
        """One verification guess (status verification, booking lookup): counted before it is
        judged, so concurrent guesses never exceed the limit, and taken back when it was right.
        Returns the attempts left after a wrong guess; raises :class:`PortalError` 429 when none is."""
        try:
            left = await self.reserve(buckets)
        except LimitReached as limit:
            minutes = max(1, int(-(-limit.retry_after // 60)))
            raise PortalError(429, "too_many_attempts", f"验证失败次数过多，请{minutes}分钟后再试") from None
        if correct:
            await self.refund(buckets)
        return left

    async def refund(self, buckets: Sequence[Bucket]) -> None:
        """Takes back a reserved attempt that turned out not to be a failure."""
        async with self._engine.begin() as conn:
            for bucket in buckets:
                await conn.execute(REFUND, {"bucket": bucket.key})
