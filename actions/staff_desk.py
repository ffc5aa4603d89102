"""The staff console as the actions reach it: one ``Escalations`` on ``CONSOLE_DATABASE_URL``,
handed to the actions by the action server at start-up (as the portal client is).

Why here and not behind an HTTP endpoint of the console: opening a session is one atomic write
of the console's own transition table (``console.sessions``), the database is the console's
durable interface shared by every process (the channel stores messages through it, the web app
notices new rows by itself), and the console's web app may be down while a citizen asks for a
person; a second API would only restate ``Sessions.open``. ``HANDOFF_MODE=wechat`` hands no
desk: WeChat's own customer service takes over and nothing is opened here.
"""
from __future__ import annotations

from typing import Optional

from console.escalation import Escalations

_desk: Optional[Escalations] = None
_handed = False


class StaffDeskNotConfigured(RuntimeError):
    """No desk was handed to the actions: they run outside ``govbot-actions`` (which does)."""


def staff_desk() -> Optional[Escalations]:
    """The console's escalations, or None when WeChat's own customer service takes over."""
    if not _handed:
        raise StaffDeskNotConfigured("no staff desk: start the actions with govbot-actions, or call use_staff_desk")
    return _desk


def use_staff_desk(desk: Optional[Escalations], handed: bool = True) -> None:
    """Hands ``desk`` to the actions (None: ``HANDOFF_MODE=wechat``); ``handed=False`` takes it back."""
    global _desk, _handed
    _desk, _handed = desk, handed
