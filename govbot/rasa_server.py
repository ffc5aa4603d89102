"""``govbot-rasa``: Rasa's own command line, with its custom-action response check made cheap,
the Sanic framing guard (``govbot.http_guard``) and the HTTP API's token taken from the
environment (``RASA_AUTH_TOKEN``), never from the command line, where ``ps`` shows it to
every user of the machine; ``run --enable-api`` without a token or JWT refuses to start.

Rasa 3.6 checks every action server response with ``jsonschema.validate``, which first
validates Rasa's large events schema itself against the JSON-Schema meta-schema, on every
call: about 100 ms of CPU per custom action on these 2 cores, more than NLU and dialogue
prediction together, and a turn calls one to three actions. The same check runs here against
a validator built once; what passes and what is refused does not change.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Text

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction

from govbot import action_fallback, homophones, intent_guard, logmask, message_bound


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
    RemoteAction._validate_action_result = validate_action_result


def with_api_token(argv: List[str], env: Mapping[str, str] = os.environ) -> List[str]:
    """``argv`` (without the program name) plus ``--auth-token`` from ``RASA_AUTH_TOKEN`` when it
    runs the HTTP API; raises SystemExit when the API would be open to anyone."""
    given = {arg.split("=", 1)[0] for arg in argv}
    if argv[:1] != ["run"] or "--enable-api" not in given or {"--auth-token", "-t", "--jwt-secret"} & given:
        return argv
    token = env.get("RASA_AUTH_TOKEN")
    if not token:
        raise SystemExit("govbot-rasa: --enable-api serves every conversation's tracker: set RASA_AUTH_TOKEN "
                         "(clients then add ?token=...), or pass --jwt-secret")
    return [*argv, "--auth-token", token]


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from govbot.http_guard import guard_sanic

    use_cached_validator()
    guard_sanic()
    sys.argv[1:] = with_api_token(sys.argv[1:])
    logmask.install()
    homophones.install()  # inside the bound: the cut text is corrected, and the cut is what is kept
    message_bound.install()
    intent_guard.install()
    action_fallback.install()
    rasa_main()


if __name__ == "__main__":
    main()
