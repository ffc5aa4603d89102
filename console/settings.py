"""Settings of the staff console, read once from the environment at start-up.

- ``CONSOLE_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://user@host/db``; default
  ``sqlite:///var/console.sqlite3``. It may be the portal's database: the console's tables are
  named ``console_*`` and its migrations keep their own version table.
- ``CONSOLE_STAFF_HOURS``: when staff answer, China time, on working days (statutory holidays
  closed, 调休 Saturdays and Sundays open): ``09:00-17:00`` or ``09:00-12:00,13:30-17:00``.
- ``CONSOLE_SESSION_MINUTES``: how long a staff sign-in lasts at most (480, a working day).
- ``CONSOLE_IDLE_MINUTES``: a sign-in left unused this long ends sooner (30); at most the above.
- ``CONSOLE_HOST``, ``CONSOLE_PORT``: where the console's web app listens (127.0.0.1, 8090).
- ``HANDOFF_MODE``: ``console`` (default: a handoff opens a console session) or ``wechat`` (WeChat's
  own ``transfer_customer_service`` takes over until its ``kf_close_session`` event).
- ``RASA_HOST``, ``RASA_PORT``, ``RASA_AUTH_TOKEN``: the Rasa server the console resumes handed-back
  conversations on (its HTTP API) and sends staff replies through (the channel's staff route).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Mapping, Optional, Tuple

from govbot import envsettings as read
from govbot.settings import LOOPBACK, local_url

DEFAULT_SQLITE_PATH = Path("var") / "console.sqlite3"
DATABASE_SCHEMES = ("sqlite", "postgresql")
DEFAULT_STAFF_HOURS = "09:00-17:00"
HANDOFF_MODES = ("console", "wechat")


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    staff_hours: Tuple[read.TimeRange, ...] = read.time_ranges({}, "CONSOLE_STAFF_HOURS", DEFAULT_STAFF_HOURS)
    session_minutes: int = 480
    idle_minutes: int = 30
    host: str = "127.0.0.1"
    port: int = 8090
    handoff_mode: str = "console"
    rasa_url: str = local_url(LOOPBACK, 5005)
    rasa_token: Optional[str] = None

    @property
    def uses_console(self) -> bool:
        return self.handoff_mode == "console"

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
            handoff_mode=_handoff_mode(env),
            rasa_url=local_url(read.text(env, "RASA_HOST") or LOOPBACK, read.port(env, "RASA_PORT", 5005)),
            rasa_token=read.text(env, "RASA_AUTH_TOKEN"),
        )


def _handoff_mode(env: Mapping[str, str]) -> str:
    mode = (read.text(env, "HANDOFF_MODE") or "console").lower()
    if mode not in HANDOFF_MODES:
        raise read.SettingError(f"HANDOFF_MODE must be one of {', '.join(HANDOFF_MODES)}, got {mode!r}")
    return mode
