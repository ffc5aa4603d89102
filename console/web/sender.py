"""How a stored staff reply leaves for the citizen: an interface the channel's wiring implements
with the connector's output code (the console never builds WeChat calls itself)."""
from __future__ import annotations

from typing import Optional, Protocol


class SendFailed(Exception):
    """The reply is stored but did not reach the channel (the message says why)."""


class ReplySender(Protocol):
    async def send(self, channel: str, sender_id: str, text: str, kf_account: Optional[str]) -> None:
        """Delivers ``text`` to the citizen ``sender_id`` on ``channel``, as ``kf_account`` when
        set; raises (``SendFailed`` or any error) when it did not go out."""


class NotWired:
    """The sender of a console started before any channel is wired: every reply is stored and
    reported to staff as not sent, never silently dropped."""

    async def send(self, channel: str, sender_id: str, text: str, kf_account: Optional[str]) -> None:
        raise SendFailed(f"no sender is wired for channel {channel!r}")
