"""Citizens who talk to the running assistant (``govbot.stack``): through Rasa's REST channel, or
through the WeChat webhook exactly as WeChat delivers (signed; plaintext or safe mode), with
wechatpy on WeChat's side. Shared by the end-to-end tests, the conversation suite and its benchmark."""
from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

import requests

from connectors.wechat.testing.fake_api import DEMO_AES_KEY, DEMO_APP_ID, DEMO_TOKEN
from connectors.wechat.testing.simulator import Delivery, WeChatPeer
from govbot.stack import Stack

REPLY_SECONDS = 30


class RestCitizen:
    def __init__(self, stack: Stack):
        self.url = f"{stack.rasa_url}/webhooks/rest/webhook"
        self.sender = f"o_{uuid.uuid4().hex[:12]}"

    def says(self, text: str) -> str:
        response = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=REPLY_SECONDS)
        response.raise_for_status()
        replies: List[dict] = response.json()
        return "\n".join(r.get("text", "") for r in replies)


class WeChatCitizen:
    """A WeChat user: pushes through the webhook as WeChat does; the turn's replies are the passive
    answer plus the customer-service messages the server sent to the fake WeChat API."""

    PUSHES_WITHIN = 1.0  # further messages of a turn follow the passive answer within this

    def __init__(self, stack: Stack, aes: bool):
        self.stack, self.aes = stack, aes
        self.sender = "o" + secrets.token_hex(14)[:27]
        self.seq = 0

    @property
    def openid(self) -> str:
        return self.sender

    def says(self, text: str) -> str:
        """The whole answer of one turn: the passive reply and the pushes that follow it."""
        return asyncio.run(self._says(text))

    def sends(self, text: str) -> Optional[str]:
        """Pushes one message; only its passive reply (None for ``success``), without waiting for pushes."""
        return self.delivers(lambda peer: peer.text(self.sender, text)).reply

    def delivers(self, push: Callable[[WeChatPeer], str]) -> Delivery:
        """What WeChat got back for one push built by ``push`` (a message or an event of this citizen)."""
        return asyncio.run(self._push(push))

    def receives(self, wait: float) -> List[Dict[str, Any]]:
        """The customer-service messages (text, kf_account…) sent since the last ones seen; waits up
        to ``wait`` seconds for the first."""
        return asyncio.run(self._receive(wait))

    async def _says(self, text: str) -> str:
        reply = (await self._push(lambda peer: peer.text(self.sender, text))).reply
        texts = [reply] if reply else []
        while True:  # after "success" (a slow turn) the whole answer comes as pushes
            messages = await self._receive(self.PUSHES_WITHIN if texts else 8.0)
            if not messages:
                return "\n".join(texts)
            texts += [m["text"] for m in messages]

    async def _push(self, push: Callable[[WeChatPeer], str]) -> Delivery:
        async with self._peer() as peer:
            delivery = await peer.push(push(peer))
        assert delivery.status == 200, delivery.body
        return delivery

    async def _receive(self, wait: float) -> List[Dict[str, Any]]:
        async with self._peer() as peer:
            messages, self.seq = await peer.customer_messages(self.sender, self.seq, wait=wait)
        return messages

    @contextlib.asynccontextmanager
    async def _peer(self) -> AsyncIterator[WeChatPeer]:
        peer = WeChatPeer(self.stack.webhook_url, DEMO_TOKEN, DEMO_APP_ID, DEMO_AES_KEY if self.aes else None,
                          fake_api_url=self.stack.wechat_api_url)
        try:
            yield peer
        finally:
            await peer.close()
