"""Can a staff reply still reach the citizen, and for how long?

WeChat delivers customer-service messages only within 48 hours of the citizen's last message,
and at most 5 of them per such message (the connector's rule, ``connectors.wechat.outbox.WINDOWS``,
taken from there, not restated). The console shows the time and messages left and says plainly
when a reply can no longer be delivered. The connector's own counter is the authority: staff see
it (``Allowance``, asked of the channel for each view and each reply) whenever the channel answers,
and a reply it would refuse is refused before anything is stored; the console's estimate from its
transcript stands in while the channel does not answer (a reply the channel's counter then refuses
is kept by the channel for the citizen's next message and reported to staff as not sent).
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
NO_CHANNEL = "channel_cannot_send"  # e.g. Rasa's rest channel: it answers requests, it cannot push


@dataclass(frozen=True)
class DeliveryWindow:
    closes_at: Optional[datetime]  # None: the citizen has not written in this conversation
    time_left: timedelta
    messages_left: int
    channel_sends: bool = True  # False: the citizen's channel has no way to send them a reply

    @property
    def why_not(self) -> Optional[str]:
        """Why a reply cannot be delivered now (``NO_CHANNEL``, ``NO_MESSAGE``, ``EXPIRED``,
        ``QUOTA_SPENT``), or None."""
        if not self.channel_sends:
            return NO_CHANNEL
        if self.closes_at is None:
            return NO_MESSAGE
        if self.time_left <= timedelta(0):
            return EXPIRED
        return QUOTA_SPENT if self.messages_left <= 0 else None

    @property
    def deliverable(self) -> bool:
        return self.why_not is None


@dataclass(frozen=True)
class Allowance:
    """What the channel's own counter still allows a citizen: messages, and seconds to send them."""
    messages_left: int
    seconds_left: float


def as_counted(window: DeliveryWindow, allowance: Optional[Allowance], now: datetime,
               channel_sends: bool = True) -> DeliveryWindow:
    """``window`` as the channel counts it (``allowance``), when the channel told."""
    if not channel_sends:
        return DeliveryWindow(window.closes_at, window.time_left, window.messages_left, channel_sends=False)
    if allowance is None or window.closes_at is None:
        return window
    time_left = timedelta(seconds=max(allowance.seconds_left, 0.0))
    return DeliveryWindow(now + time_left, time_left, max(allowance.messages_left, 0) if time_left else 0)


def delivery_window(last_citizen_at: Optional[datetime], now: datetime, sent_since: int = 0) -> DeliveryWindow:
    """The window opened by the citizen's last message, seen at ``now``, after ``sent_since``
    customer-service messages went out since that message."""
    if last_citizen_at is None:
        return DeliveryWindow(None, timedelta(0), 0)
    closes_at = last_citizen_at + WINDOW
    time_left = max(closes_at - now, timedelta(0))
    messages_left = max(MESSAGES_PER_WINDOW - sent_since, 0) if time_left else 0
    return DeliveryWindow(closes_at, time_left, messages_left)
