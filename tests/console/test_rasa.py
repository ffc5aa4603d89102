"""The bot's side through Rasa's HTTP API: what handing back appends to the tracker, a refusal, and the
transcript before the handoff."""
from __future__ import annotations

from typing import Any, List

import pytest
from aiohttp import web

from console.messages import Direction
from console.rasa import RasaConversations, ResumeFailed, before_handoff
from govbot.clock import CHINA_TZ
from govbot.processes import free_port


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


def test_the_history_is_what_was_said_before_the_message_that_led_to_the_last_pause():
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "你好", "timestamp": 0},
              {"event": "bot", "text": "您好", "timestamp": 1}, {"event": "bot", "timestamp": 1},
              {"event": "user", "text": "转人工", "timestamp": 2}, {"event": "bot", "text": "好的", "timestamp": 3},
              {"event": "pause"}, {"event": "user", "text": "在吗", "timestamp": 4}]
    assert [(line.direction, line.text) for line in before_handoff(events)] == [
        (Direction.CITIZEN, "你好"), (Direction.BOT, "您好")]  # 转人工 is the console's first message
    assert before_handoff(events)[0].at.utcoffset() == CHINA_TZ.utcoffset(None)
    assert [line.text for line in before_handoff(events[:4])] == ["你好", "您好"]  # never handed over: all of it


async def test_the_history_is_read_from_the_tracker_and_none_when_rasa_cannot_tell(aiohttp_server):
    async def tracker(request: web.Request) -> web.Response:
        return web.json_response({"events": [{"event": "user", "text": "你好", "timestamp": 0},
                                             {"event": "user", "text": "转人工", "timestamp": 1}, {"event": "pause"}]})

    app = web.Application()
    app.router.add_get("/conversations/{id}/tracker", tracker)
    rasa = RasaConversations(str((await aiohttp_server(app)).make_url("")).rstrip("/"), "t0ken")
    assert [line.text for line in await rasa.history("o1")] == ["你好"]
    assert await RasaConversations(f"http://127.0.0.1:{free_port()}", None).history("o1") is None
