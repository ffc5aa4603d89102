"""Settings of the staff console, read once from the environment at start-up.

- ``CONSOLE_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://user@host/db``; default
  ``sqlite:///var/console.sqlite3``. It may be the portal's database: the console's tables are
  named ``console_*`` and its migrations keep their own version table.
- ``CONSOLE_STAFF_HOURS``: when staff answer, China time, on working days (statutory holidays
  closed, 调休 Saturdays and Sundays open): ``09:00-17:00`` or ``09:00-12:00,13:30-17:00``.
- ``CONSOLE_SESSION_MINUTES``: how long a staff sign-in lasts at most (480, a working day).
- ``CONSOLE_IDLE_MINUTES``: a sign-in left unused this long ends sooner (30); at most the above.
- ``CONSOLE_HOST``, ``CONSOLE_PORT``: where the console's web app listens (127.0.0.1, 8090).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Mapping, Tuple

from govbot import envsettings as read

DEFAULT_SQLITE_PATH = Path("var") / "console.sqlite3"
DATABASE_SCHEMES = ("sqlite", "postgresql")
DEFAULT_STAFF_HOURS = "09:00-17:00"


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    staff_hours: Tuple[read.TimeRange, ...] = read.time_ranges({}, "CONSOLE_STAFF_HOURS", DEFAULT_STAFF_HOURS)
    session_minutes: int = 480
    idle_minutes: int = 30
    host: str = "127.0.0.1"
    port: int = 8090

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(minutes=self.session_minutes)

    @property
    def idle_lifetime(self) -> timedelta:
        return timedelta(minutes=min(self.idle_minutes, self.session_minutes))

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ConsoleSettings":
        """Raises ``envsettings.SettingError`` naming a malformed variable."""
        return cls(
            database_url=read.url(env, "CONSOLE_DATABASE_URL", DATABASE_SCHEMES) or cls.database_url,
            staff_hours=read.time_ranges(env, "CONSOLE_STAFF_HOURS", DEFAULT_STAFF_HOURS),
            session_minutes=read.whole(env, "CONSOLE_SESSION_MINUTES", cls.session_minutes, minimum=1),
            idle_minutes=read.whole(env, "CONSOLE_IDLE_MINUTES", cls.idle_minutes, minimum=1),
            host=read.text(env, "CONSOLE_HOST") or cls.host,
            port=read.port(env, "CONSOLE_PORT", cls.port),
        )
