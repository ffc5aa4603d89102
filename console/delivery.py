"""Can a staff reply still reach the citizen, and for how long?

WeChat delivers customer-service messages only within 48 hours of the citizen's last message,
and at most 5 of them per such message (the connector's rule, ``connectors.wechat.outbox.WINDOWS``,
taken from there, not restated). The console shows the time and messages left and says plainly
when a reply can no longer be delivered. The connector's own counter stays the authority at the
moment of sending; this is what staff see before they type.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from connectors.wechat.inbound import MESSAGE_WINDOW
from connectors.wechat.outbox import WINDOWS

MESSAGES_PER_WINDOW, WINDOW_SECONDS = WINDOWS[MESSAGE_WINDOW]
WINDOW = timedelta(seconds=WINDOW_SECONDS)

NO_MESSAGE, EXPIRED, QUOTA_SPENT = "no_citizen_message", "window_expired", "quota_spent"


@dataclass(frozen=True)
class DeliveryWindow:
    closes_at: Optional[datetime]  # None: the citizen has not written in this conversation
    time_left: timedelta
    messages_left: int

    @property
    def why_not(self) -> Optional[str]:
        """Why a reply cannot be delivered now (``NO_MESSAGE``, ``EXPIRED``, ``QUOTA_SPENT``), or None."""
        if self.closes_at is None:
            return NO_MESSAGE
        if self.time_left <= timedelta(0):
            return EXPIRED
        return QUOTA_SPENT if self.messages_left <= 0 else None

    @property
    def deliverable(self) -> bool:
        return self.why_not is None


def delivery_window(last_citizen_at: Optional[datetime], now: datetime, sent_since: int = 0) -> DeliveryWindow:
    """The window opened by the citizen's last message, seen at ``now``, after ``sent_since``
    customer-service messages went out since that message."""
    if last_citizen_at is None:
        return DeliveryWindow(None, timedelta(0), 0)
    closes_at = last_citizen_at + WINDOW
    time_left = max(closes_at - now, timedelta(0))
    messages_left = max(MESSAGES_PER_WINDOW - sent_since, 0) if time_left else 0
    return DeliveryWindow(closes_at, time_left, messages_left)
