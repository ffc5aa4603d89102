"""Handing a conversation back to the bot: the Rasa server's HTTP API appends
``ConversationResumed`` to the citizen's tracker (``POST /conversations/<id>/tracker/events``,
with the API token the stack gives the Rasa server), so that the next message is answered again.

A pause ends the turn of ``action_handoff`` without the ``action_listen`` that closes every other
turn, so the resume appends it too: without it the policies see the next message straight after
the handoff, match no rule and answer it with the fallback, again and again up to Rasa's limit."""
from __future__ import annotations

import asyncio
from typing import Optional
from urllib.parse import quote

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=10)
RESUMED = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


class ResumeFailed(Exception):
    """The bot did not take the conversation back (the message says why)."""


class RasaConversations:
    def __init__(self, rasa_url: str, token: Optional[str]):
        self._base = rasa_url.rstrip("/")
        self._token = token

    async def resume(self, sender_id: str) -> None:
        url = f"{self._base}/conversations/{quote(sender_id, safe='')}/tracker/events"
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                async with session.post(url, params={"token": self._token or ""},
                                        json=RESUMED) as response:
                    if response.status != 200:
                        raise ResumeFailed(f"the Rasa server answered {response.status}")
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
            raise ResumeFailed(f"the Rasa server is out of reach: {type(error).__name__}") from None
