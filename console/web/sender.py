"""How a stored staff reply leaves for the citizen, and how the conversation goes back to the
bot: interfaces the channel's wiring (``connectors.wechat.staff.ChannelSender``) and the Rasa
server's API (``console.rasa.RasaConversations``) implement; the console never builds WeChat
calls itself."""
from __future__ import annotations

from typing import List, Optional, Protocol

from console.delivery import Allowance
from console.rasa import Said


class SendFailed(Exception):
    """The reply is stored but did not reach the channel (the message says why)."""


class ReplySender(Protocol):
    async def send(self, channel: str, sender_id: str, text: str, kf_account: Optional[str]) -> None:
        """Delivers ``text`` to the citizen ``sender_id`` on ``channel``, as ``kf_account`` when
        set; raises (``SendFailed`` or any error) when it did not go out."""

    async def typing(self, channel: str, sender_id: str) -> None:
        """The citizen sees "对方正在输入" while staff type; best effort, never raises."""

    def sends_to(self, channel: str) -> bool:
        """Whether replies can reach citizens of ``channel`` at all."""

    async def allowance(self, channel: str, sender_id: str) -> Optional[Allowance]:
        """What the channel's own counter still allows ``sender_id``; None when it cannot tell
        (another channel, or out of reach); never raises."""


class Bot(Protocol):
    async def resume(self, sender_id: str) -> None:
        """The bot answers ``sender_id`` again; raises when it did not take the conversation back."""

    async def history(self, sender_id: str) -> Optional[List[Said]]:
        """What the citizen and the bot said before the handoff; None when it cannot be read."""
