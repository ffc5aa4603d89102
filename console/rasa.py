"""The bot's side of a handed-over conversation, through the Rasa server's HTTP API (with the API
token the stack gives the Rasa server):

- handing back appends ``ConversationResumed`` to the citizen's tracker (``POST
  /conversations/<id>/tracker/events``), so that the next message is answered again. A pause ends
  the turn of ``action_handoff`` without the ``action_listen`` that closes every other turn, so the
  resume appends it too: without it the policies see the next message straight after the handoff,
  match no rule and answer it with the fallback, again and again up to Rasa's limit;
- ``history`` is what the citizen and the bot said before the handoff (``GET
  /conversations/<id>/tracker``), which staff read first; the console stores only what follows.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

import aiohttp

from console.messages import Direction
from govbot.clock import CHINA_TZ

TIMEOUT = aiohttp.ClientTimeout(total=10)
HISTORY_TIMEOUT = aiohttp.ClientTimeout(total=3)  # a page waits for it: Rasa down must not hang the console
RESUMED = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
HISTORY_LINES = 40  # the latest lines before the handoff: enough to see what went wrong
SPEAKERS = {"user": Direction.CITIZEN, "bot": Direction.BOT}


class ResumeFailed(Exception):
    """The bot did not take the conversation back (the message says why)."""


@dataclass(frozen=True)
class Said:
    """One line of the bot's transcript."""
    direction: Direction
    text: str
    at: datetime


class RasaConversations:
    def __init__(self, rasa_url: str, token: Optional[str]):
        self._base = rasa_url.rstrip("/")
        self._token = token

    async def resume(self, sender_id: str) -> None:
        try:
            status, _ = await self._call("POST", sender_id, "/tracker/events", RESUMED)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
            raise ResumeFailed(f"the Rasa server is out of reach: {type(error).__name__}") from None
        if status != 200:
            raise ResumeFailed(f"the Rasa server answered {status}")

    async def history(self, sender_id: str) -> Optional[List[Said]]:
        """The latest lines before the conversation's last handoff; None when Rasa cannot tell."""
        try:
            status, tracker = await self._call("GET", sender_id, "/tracker", timeout=HISTORY_TIMEOUT)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError):
            return None
        if status != 200 or not isinstance(tracker, dict):
            return None
        return before_handoff(tracker.get("events") or [])

    async def _call(self, method: str, sender_id: str, path: str, body: Any = None,
                    timeout: aiohttp.ClientTimeout = TIMEOUT) -> Tuple[int, Any]:
        url = f"{self._base}/conversations/{quote(sender_id, safe='')}{path}"
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(method, url, params={"token": self._token or ""}, json=body) as response:
                return response.status, (await response.json() if method == "GET" and response.ok else None)


def before_handoff(events: List[Dict[str, Any]]) -> List[Said]:
    """The citizen's and the bot's texts before the message that led to the last pause (the console
    stores that one itself, first in its transcript); all of them when there was no pause."""
    end = len(events)
    pauses = [index for index, event in enumerate(events) if event.get("event") == "pause"]
    if pauses:
        asked = [index for index, event in enumerate(events[:pauses[-1]]) if event.get("event") == "user"]
        end = asked[-1] if asked else pauses[-1]
    lines = [Said(SPEAKERS[event["event"]], str(event["text"]),
                  datetime.fromtimestamp(float(event.get("timestamp") or 0), timezone.utc).astimezone(CHINA_TZ))
             for event in events[:end] if event.get("event") in SPEAKERS and event.get("text")]
    return lines[-HISTORY_LINES:]
