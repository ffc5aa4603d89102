"""Handing back through Rasa's HTTP API: what the console appends to the tracker, and a refusal."""
from __future__ import annotations

from typing import Any, List

import pytest
from aiohttp import web

from console.rasa import RasaConversations, ResumeFailed


async def _rasa(aiohttp_server, status: int, seen: List[Any]) -> str:
    async def events(request: web.Request) -> web.Response:
        seen.append((request.match_info["id"], request.query.get("token"), await request.json()))
        return web.json_response({}, status=status)

    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", events)
    return str((await aiohttp_server(app)).make_url("")).rstrip("/")


async def test_a_resume_listens_again_so_the_next_message_is_read_as_a_new_turn(aiohttp_server):
    seen: List[Any] = []
    await RasaConversations(await _rasa(aiohttp_server, 200, seen), "t0ken").resume("o/x 1")
    assert seen == [("o/x 1", "t0ken", [{"event": "resume"}, {"event": "action", "name": "action_listen"}])]


async def test_a_refusal_says_the_bot_did_not_take_it_back(aiohttp_server):
    with pytest.raises(ResumeFailed, match="403"):
        await RasaConversations(await _rasa(aiohttp_server, 403, []), None).resume("o1")
