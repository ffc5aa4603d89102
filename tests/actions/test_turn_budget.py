"""All portal calls of one citizen turn share one time budget, so a hanging portal is apologised
for within WeChat's 5-second reply window instead of after several timeouts and retries."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List

import pytest
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SORRY_PORTAL_DOWN
from actions.failsafe import SafeAction
from actions.gov_api import GovApi, GovApiUnavailable, gov_api, use_gov_api
from actions.turn_budget import BUDGETS, TurnBudgets, seconds_left, within_turn
from tests.actions.conftest import texts

HANG_SECONDS = 30


@pytest.fixture
async def hanging_portal(aiohttp_server) -> GovApi:
    """A portal that accepts the connection and never answers in time (like a stopped process)."""
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(HANG_SECONDS)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/api/v1/guides/{code}", hang)
    server = await aiohttp_server(app)
    client = GovApi(str(server.make_url("")).rstrip("/"), timeout=2.5)
    yield client
    await client.close()


class LooksUpTwice(SafeAction):
    """Two portal reads, like a form step that checks the item and then the hall."""

    def name(self) -> str:
        return "action_test_looks_up_twice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Any]:
        await gov_api().guide("GA-0003")
        await gov_api().guide("GA-0007")
        dispatcher.utter_message(text="done")
        return []


def turn_tracker(message_id: str) -> Tracker:
    message = {"text": "确认", "intent": {"name": "affirm"}, "entities": [], "message_id": message_id}
    return Tracker("o_budget", {}, message, [], False, None, {}, "action_listen")


def test_one_turn_has_one_deadline_and_a_new_message_a_new_one():
    clock = [100.0]
    budgets = TurnBudgets(seconds=4.0, now=lambda: clock[0])
    first = budgets.deadline(("o", "m1"))
    clock[0] += 3
    assert budgets.deadline(("o", "m1")) == first == 104.0  # the turn's second action shares it
    assert budgets.deadline(("o", "m2")) == 107.0
    assert seconds_left() is None  # outside a turn: only each call's own timeout
    with within_turn(("o", "m3"), budgets):
        assert seconds_left(now=lambda: clock[0]) == pytest.approx(4.0)


async def test_a_hanging_portal_costs_one_budget_per_turn_not_a_timeout_per_call(hanging_portal, monkeypatch):
    monkeypatch.setattr(BUDGETS, "seconds", 0.8)
    previous = gov_api()
    use_gov_api(hanging_portal)
    try:
        started = time.monotonic()
        replies = []
        for _ in range(2):  # two actions of the same turn (validation, then the question)
            dispatcher = CollectingDispatcher()
            await LooksUpTwice().run(dispatcher, turn_tracker("msg-1"), {})
            replies.append(texts(dispatcher))
        spent = time.monotonic() - started
    finally:
        use_gov_api(previous)
    assert replies == [SORRY_PORTAL_DOWN, SORRY_PORTAL_DOWN]
    assert spent < 1.6, f"{spent:.1f} s: without the budget each read waits 2 × 2.5 s"


async def test_a_call_never_outlives_its_turn(hanging_portal):
    started = time.monotonic()
    with pytest.raises(GovApiUnavailable):
        with within_turn(("o", "short"), TurnBudgets(seconds=0.3)):
            await hanging_portal.guide("GA-0003")
    assert time.monotonic() - started < 1.0
    with pytest.raises(GovApiUnavailable):
        with within_turn(("o", "spent"), TurnBudgets(seconds=0.0)):
            await hanging_portal.guide("GA-0003")  # nothing left: fails without calling
