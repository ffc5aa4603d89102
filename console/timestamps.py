"""Instants as the console stores them: ISO 8601 in China time, one fixed width, so that the
strings sort as the instants do (``2026-12-08T10:00:00.000000+08:00``)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from govbot.clock import CHINA_TZ


def stamp(instant: datetime) -> str:
    return instant.astimezone(CHINA_TZ).isoformat(timespec="microseconds")


def instant(value: str) -> datetime:
    """A stored instant (``stamp``'s string) read back."""
    return datetime.fromisoformat(value)


def read(value: Optional[str]) -> Optional[datetime]:
    """A stored instant that may be absent (NULL)."""
    return instant(value) if value else None
