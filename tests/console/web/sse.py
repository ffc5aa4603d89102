"""Reading a Server-Sent Events stream in tests: the next ``change`` event's data."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict

from aiohttp import ClientResponse


async def next_change(stream: ClientResponse, seconds: float = 1.0) -> Dict[str, Any]:
    """The next ``change`` event on ``stream``; raises ``asyncio.TimeoutError`` after ``seconds``."""
    return await asyncio.wait_for(_read(stream), seconds)


async def change_of_kind(stream: ClientResponse, kind: str, seconds: float = 1.0) -> Dict[str, Any]:
    """The first ``change`` event of ``kind`` within ``seconds`` (earlier changes, e.g. the feed
    catching up with a session opened just before the stream, are passed over)."""
    async def first() -> Dict[str, Any]:
        while True:
            change = await _read(stream)
            if kind in change["kinds"]:
                return change
    return await asyncio.wait_for(first(), seconds)


async def _read(stream: ClientResponse) -> Dict[str, Any]:
    event, data = "", ""
    while True:
        line = (await stream.content.readline()).decode()
        if not line:
            raise ConnectionError("the event stream ended")
        if line.startswith("event: "):
            event = line[len("event: "):].strip()
        elif line.startswith("data: "):
            data = line[len("data: "):].strip()
        elif line == "\n" and event == "change" and data:
            return json.loads(data)
        elif line == "\n":
            event, data = "", ""
