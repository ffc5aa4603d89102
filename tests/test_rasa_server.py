"""``govbot-rasa``: the cheap custom-action response check accepts and refuses what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from govbot.rasa_server import use_cached_validator, validate_action_result

GOOD = {"events": [{"event": "slot", "name": "appt_item", "value": "GA-0002", "timestamp": None},
                   {"event": "action_execution_rejected", "name": "appointment_form"}],
        "responses": [{"text": "请问您想哪天去办？"}]}
BAD = [{"events": [{"event": "slot", "value": "GA-0002"}]},            # a slot event without a name
       {"events": [{"event": "no_such_event"}]},
       {"events": "not a list"},
       {"responses": [{"text": "好的"}, "not an object"]}]


@pytest.fixture
def original():
    check = RemoteAction._validate_action_result
    yield check
    RemoteAction._validate_action_result = check


def test_valid_response_passes_both_checks(original):
    action = RemoteAction("action_x", None)
    assert original(action, GOOD) is True
    assert validate_action_result(action, GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_invalid_response_is_refused_by_both_checks(original, response):
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError):
        original(action, response)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate_action_result(action, response)


def test_the_server_entry_point_installs_the_cheap_check(original):
    use_cached_validator()
    assert RemoteAction._validate_action_result is validate_action_result
    with pytest.raises(ValidationError):
        RemoteAction("action_x", None)._validate_action_result(BAD[0])


# --- a failing action server still gets the citizen a reply ----------------------------------------


@pytest.fixture
def apologising():
    from govbot import action_fallback
    run, timeout = RemoteAction.run, action_fallback.rasa_actions.DEFAULT_REQUEST_TIMEOUT
    action_fallback.install()
    yield action_fallback
    RemoteAction.run, action_fallback.rasa_actions.DEFAULT_REQUEST_TIMEOUT = run, timeout


def _closed_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _run_against(url: str):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    action = RemoteAction("action_list_bookings", EndpointConfig(url))
    return await action.run(None, None, DialogueStateTracker("citizen", []), Domain.empty())


async def test_an_unreachable_action_server_gets_an_apology_not_silence(apologising):
    from rasa.shared.core.events import BotUttered

    events = await _run_against(f"http://127.0.0.1:{_closed_port()}/webhook")
    assert [type(e) for e in events] == [BotUttered]
    assert "转人工" in events[0].text and events[0].text == apologising.SORRY_ASSISTANT_DOWN


async def test_an_action_server_error_gets_an_apology_and_a_rejection_still_reaches_rasa(apologising, aiohttp_server):
    from aiohttp import web
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.core.events import BotUttered

    async def webhook(request: web.Request) -> web.Response:
        if request.query.get("mode") == "reject":
            return web.json_response({"action_name": "action_list_bookings", "error": "no"}, status=400)
        return web.json_response({"error": "boom"}, status=500)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = await aiohttp_server(app)
    events = await _run_against(str(server.make_url("/webhook")))
    assert [type(e) for e in events] == [BotUttered]
    with pytest.raises(ActionExecutionRejection):
        await _run_against(str(server.make_url("/webhook?mode=reject")))


def test_rasa_waits_for_an_action_no_longer_than_the_actions_can_take(apologising):
    assert apologising.rasa_actions.DEFAULT_REQUEST_TIMEOUT == apologising.ACTION_CALL_TIMEOUT <= 30
    apologising.install()  # twice: still one wrapper
    assert RemoteAction.run.__wrapped__.__name__ == "run"
