"""Posts portal events (application status changes) to the configured webhook URL.

Delivery runs in the background with bounded retries so a slow receiver never delays the
portal's own answer. With a secret, each post carries ``X-Portal-Timestamp`` (Unix seconds)
and ``X-Portal-Signature``, the hex HMAC-SHA256 of ``<timestamp>.<body>``: the receiver checks
the sender and refuses a captured post replayed outside its time window.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Dict, Optional, Set

import aiohttp

logger = logging.getLogger(__name__)
ATTEMPTS = 3
TIMEOUT = aiohttp.ClientTimeout(total=5)


def recipient(openid: Optional[str], channel: Optional[str]) -> Dict[str, Any]:
    """Who an event is for: the citizen's openid and, when known, the channel the citizen used (Rasa's
    input channel name, e.g. ``wechat``), so that a receiver only notifies through that channel."""
    return {"openid": openid, **({"channel": channel} if channel else {})}


class Notifier:
    def __init__(self, url: Optional[str], secret: Optional[str] = None):
        self._url = url
        self._secret = secret
        self._session: Optional[aiohttp.ClientSession] = None
        self._pending: Set[asyncio.Task] = set()

    def send(self, event: Dict[str, Any]) -> None:
        if not self._url:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(self._url, event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, url: str, event: Dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False).encode()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._session.post(url, data=body, headers=self._headers(body)) as response:
                    if response.status < 500:
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("webhook attempt %d failed: %s", attempt, error)
            await asyncio.sleep(0.5 * attempt)
        logger.error("webhook gave up after %d attempts for %s", ATTEMPTS, event.get("event"))

    def _headers(self, body: bytes) -> Dict[str, str]:
        """Signed anew for each attempt, so that a retry is inside the receiver's window too."""
        headers = {"Content-Type": "application/json"}
        if self._secret:
            stamp = str(int(time.time()))
            headers["X-Portal-Timestamp"] = stamp
            headers["X-Portal-Signature"] = hmac.new(self._secret.encode(), stamp.encode() + b"." + body,
                                                     hashlib.sha256).hexdigest()
        return headers

    async def close(self) -> None:
        """Waits for deliveries in flight, then closes the session."""
        if self._pending:
            await asyncio.wait(self._pending, timeout=10)
        if self._session is not None:
            await self._session.close()
