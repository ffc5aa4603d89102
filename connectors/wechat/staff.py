"""Staff replies through the channel's own customer-service output, both ends of one wire.

The console runs in its own process, but WeChat's quota and window are counted in the channel's
storage (in-process without ``REDIS_URL``) and the access token lives with the channel's API
client. So the console does not send itself: ``ChannelSender`` (the console's ``ReplySender``)
posts each reply to the channel's staff route on the Rasa server, closed by the Rasa server's
API token, and ``StaffRoute`` sends it with the channel's ``Outbox`` (quota, 48-hour window,
each part once, ``kf_account``) and API client (typing indicator): one output path for bot and
staff.

- ``POST /webhooks/wechat/staff/send``   ``{"openid", "text", "kf_account"}`` → 200 sent, 409 kept
  for the citizen's next message (quota or window spent), 502 WeChat failed
- ``POST /webhooks/wechat/staff/typing`` ``{"openid"}`` → 200
- ``POST /webhooks/wechat/staff/window`` ``{"openid"}`` → 200 ``{"messages_left", "seconds_left"}``:
  the channel's own quota counter, which the console shows (a POST: no openid in access logs)
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any, Dict, Optional, Tuple

import aiohttp

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import WeChatAPIError
from connectors.wechat.outbox import Outbox
from console.delivery import Allowance
from console.web.sender import SendFailed
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)
SEND_PATH, TYPING_PATH = "/webhooks/wechat/staff/send", "/webhooks/wechat/staff/typing"
WINDOW_PATH = "/webhooks/wechat/staff/window"
MAX_TEXT_CHARS = 2000
TIMEOUT = aiohttp.ClientTimeout(total=10)
ALLOWANCE_TIMEOUT = aiohttp.ClientTimeout(total=2)  # a page waits for it: the estimate is shown instead
ALLOWANCE_FRESH, ALLOWANCES_KEPT = 5.0, 1000
Answer = Tuple[int, Dict[str, Any]]


class StaffRoute:
    """The channel's side: checks the token, then sends through the channel's own output."""

    def __init__(self, token: Optional[str], outbox: Outbox, client: WeChatClient):
        self._token = token
        self._outbox = outbox
        self._client = client

    def allowed(self, authorization: Optional[str]) -> bool:
        """Only a caller holding the Rasa server's API token; without one the route is closed."""
        if not self._token:
            return False
        return hmac.compare_digest((authorization or "").encode(), f"Bearer {self._token}".encode())

    async def send(self, body: Any) -> Answer:
        openid, text, kf_account = _field(body, "openid"), _field(body, "text"), _field(body, "kf_account")
        if not openid or not text or len(text) > MAX_TEXT_CHARS:
            return 400, {"error": "openid and text (at most 2000 characters) are required"}
        done = await self._outbox.send(openid, [text], kf_account or None)
        logger.info("staff reply to %s: %s", mask_openid(openid), "sent" if done else "kept for later")
        return (200, {"sent": True}) if done else (409, {"sent": False, "kept": True})

    async def typing(self, body: Any) -> Answer:
        openid = _field(body, "openid")
        if not openid:
            return 400, {"error": "openid is required"}
        try:
            await self._client.typing(openid)
        except WeChatAPIError as error:  # outside the window, say: nothing to show, nothing lost
            return 502, {"error": type(error).__name__}
        return 200, {"typing": True}

    async def window(self, body: Any) -> Answer:
        openid = _field(body, "openid")
        if not openid:
            return 400, {"error": "openid is required"}
        messages_left, seconds_left = await self._outbox.allowance(openid)
        return 200, {"messages_left": messages_left, "seconds_left": seconds_left}


def _field(body: Any, name: str) -> Optional[str]:
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


class ChannelSender:
    """The console's side (``console.web.sender.ReplySender``): hands each reply to the channel."""

    def __init__(self, rasa_url: str, token: str, channel: str = "wechat"):
        self._base = rasa_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._channel = channel
        # Every live update of a conversation's status asks for its allowance: asked of the
        # channel at most every ALLOWANCE_FRESH seconds per citizen, and again after each send.
        self._allowances: Dict[str, Tuple[float, Allowance]] = {}

    async def send(self, channel: str, sender_id: str, text: str, kf_account: Optional[str]) -> None:
        if channel != self._channel:
            raise SendFailed(f"no sender for channel {channel!r}")
        self._allowances.pop(sender_id, None)
        status = await self._post(SEND_PATH, {"openid": sender_id, "text": text, "kf_account": kf_account or ""})
        if status == 409:
            raise SendFailed("WeChat's window or quota is spent: kept for the citizen's next message")
        if status != 200:
            raise SendFailed(f"the channel answered {status}")

    async def typing(self, channel: str, sender_id: str) -> None:
        """The citizen sees "正在输入" while staff type; best effort, never raises."""
        if channel == self._channel:
            try:
                await self._post(TYPING_PATH, {"openid": sender_id})
            except SendFailed:
                pass

    def sends_to(self, channel: str) -> bool:
        return channel == self._channel

    async def allowance(self, channel: str, sender_id: str) -> Optional[Allowance]:
        """The channel's own count for the console's view; None when it cannot tell."""
        if channel != self._channel:
            return None
        now = time.monotonic()
        asked_at, known = self._allowances.get(sender_id, (0.0, None))
        if known is not None and now - asked_at < ALLOWANCE_FRESH:
            return Allowance(known.messages_left, known.seconds_left - (now - asked_at))
        try:
            status, answer = await self._call(WINDOW_PATH, {"openid": sender_id}, ALLOWANCE_TIMEOUT)
            if status == 200:
                allowance = Allowance(int(answer["messages_left"]), float(answer["seconds_left"]))
                if len(self._allowances) >= ALLOWANCES_KEPT:  # only the conversations open now matter
                    self._allowances = {k: v for k, v in self._allowances.items() if now - v[0] < ALLOWANCE_FRESH}
                self._allowances[sender_id] = (now, allowance)
                return allowance
        except (SendFailed, KeyError, TypeError, ValueError) as error:
            logger.warning("the channel's reply window is unknown: %s", type(error).__name__)
        return None

    async def _post(self, path: str, body: Dict[str, str]) -> int:
        return (await self._call(path, body, TIMEOUT))[0]

    async def _call(self, path: str, body: Dict[str, str], timeout: aiohttp.ClientTimeout) -> Tuple[int, Any]:
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(self._base + path, json=body, headers=self._headers) as response:
                    answer = await response.json(content_type=None) if response.status == 200 else None
                    return response.status, answer
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as error:
            raise SendFailed(f"the channel is out of reach: {type(error).__name__}") from None
