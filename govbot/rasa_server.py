"""``govbot-rasa``: Rasa's own command line, with its custom-action response check made cheap.

Rasa 3.6 checks every action server response with ``jsonschema.validate``, which first
validates Rasa's large events schema itself against the JSON-Schema meta-schema, on every
call: about 100 ms of CPU per custom action on these 2 cores, more than NLU and dialogue
prediction together, and a turn calls one to three actions. The same check runs here against
a validator built once; what passes and what is refused does not change.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction

from govbot import logmask, message_bound


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (". Failed to validate Action server response from API, make sure your response "
                      "from the Action endpoint is valid.")
    raise error


def use_cached_validator() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]


def main() -> None:
    from rasa.__main__ import main as rasa_main

    use_cached_validator()
    logmask.install()
    message_bound.install()
    rasa_main()


if __name__ == "__main__":
    main()
