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
