"""Portal settings, read once from the environment at start-up."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Mapping, Optional

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_SQLITE_PATH = Path("var") / "portal.sqlite3"


def china_now() -> datetime:
    """Current wall-clock time in China, where every hall's hours are given."""
    return datetime.now(CHINA_TZ)


@dataclass(frozen=True)
class PortalSettings:
    database_url: str
    api_key: Optional[str] = None
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None
    reminder_interval: float = 600.0  # seconds between checks for tomorrow's bookings
    now: Callable[[], datetime] = field(default=china_now, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "PortalSettings":
        return cls(
            database_url=env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
            api_key=env.get("PORTAL_API_KEY") or None,
            webhook_url=env.get("PORTAL_WEBHOOK_URL") or None,
            webhook_secret=env.get("PORTAL_WEBHOOK_SECRET") or None,
            reminder_interval=float(env.get("PORTAL_REMINDER_INTERVAL") or 600),
        )
