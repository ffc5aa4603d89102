"""China time, the one clock of every process (portal, action server, tests).

Halls, booking days, reminders and the 2-hour cancel rule all follow China's wall clock
(Asia/Shanghai, UTC+8 all year), whatever zone the server runs in.

``GOVBOT_CLOCK`` (an ISO instant such as ``2026-12-09T00:30:00+08:00``) starts the clock at that
instant when a process first reads it; it then runs on in real time, so timeouts and rate
limits still pass. The conversation tests and demos use it to play a night or a holiday eve;
a deployment leaves it unset.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
CLOCK_SETTING = "GOVBOT_CLOCK"


def parse_start(value: str) -> datetime:
    """The instant of a ``GOVBOT_CLOCK`` value; a value without an offset is China's wall clock."""
    start = datetime.fromisoformat(value.strip())
    return start.replace(tzinfo=CHINA_TZ) if start.tzinfo is None else start


class ChinaClock:
    """Now in China; from ``start`` on, when one is given, instead of the real instant."""

    def __init__(self, start: Optional[datetime] = None):
        self._offset = (start - datetime.now(timezone.utc)) if start is not None else timedelta(0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ChinaClock":
        value = env.get(CLOCK_SETTING)
        return cls(parse_start(value) if value else None)

    def __call__(self) -> datetime:
        return (datetime.now(timezone.utc) + self._offset).astimezone(CHINA_TZ)


_process_clock: Optional[Callable[[], datetime]] = None


def china_now() -> datetime:
    """Now in China, on the process's clock (``GOVBOT_CLOCK`` read once, at the first call)."""
    global _process_clock
    if _process_clock is None:
        _process_clock = ChinaClock.from_env()
    return _process_clock().astimezone(CHINA_TZ)


def use_clock(clock: Optional[Callable[[], datetime]]) -> None:
    """Makes ``clock`` the process's clock, read by every rule through ``china_now`` (tests fix one
    instead of patching each module); ``None`` goes back to ``GOVBOT_CLOCK`` or the real instant."""
    global _process_clock
    _process_clock = clock


def in_china(now: Callable[[], datetime]) -> Callable[[], datetime]:
    """``now`` read as China time: a clock that answers in another zone (UTC, the server's) still
    gives China's date and hour to every rule that takes ``.date()`` or ``.hour`` of it."""
    return lambda: now().astimezone(CHINA_TZ)
