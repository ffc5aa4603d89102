"""When the action server itself fails, the citizen still gets a reply.

Every action's own errors end in an apology on the action server (``actions/failsafe.py``).
But when the action server cannot be reached, times out or answers 5xx, Rasa 3.6 only logs
and raises: the turn ends and the citizen hears nothing. Here a remote action that fails that
way says a short apology with the offer of a human instead. A rejection (HTTP 400: a form's
validation refusing a value) is the SDK's normal signal and still reaches Rasa unchanged.

Rasa also waits up to five minutes for an action (``DEFAULT_REQUEST_TIMEOUT``); the actions
call the portal with a 2.5 s timeout and at most one retry, so a call that has not answered
in ``ACTION_CALL_TIMEOUT`` seconds never will, and the citizen should hear so while still
waiting for the reply.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, List

import rasa.core.actions.action as rasa_actions
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)
ACTION_CALL_TIMEOUT = 20  # seconds
SORRY_ASSISTANT_DOWN = ("抱歉，系统暂时出了点问题，没能处理您的消息，请稍后再试。"
                        "如需人工帮助，回复“转人工”；也可拨打12345政务服务热线。")


def apologise_on_failure(run: Callable[..., Any]) -> Callable[..., Any]:
    """``RemoteAction.run`` that turns an unreachable or failing action server into an apology."""

    @functools.wraps(run)
    async def run_or_apologise(action: RemoteAction, output_channel: Any, nlg: Any, tracker: Any,
                               domain: Any) -> List[Event]:
        try:
            return await run(action, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as error:
            logger.error("custom action %s failed (%s): the citizen is told and offered a human",
                         action.name(), error)
            return [BotUttered(SORRY_ASSISTANT_DOWN)]

    run_or_apologise.apologises = True  # type: ignore[attr-defined]
    return run_or_apologise


def install() -> None:
    """Idempotent: the Rasa server's entry point calls it once before Rasa starts."""
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = ACTION_CALL_TIMEOUT
    if not getattr(RemoteAction.run, "apologises", False):
        RemoteAction.run = apologise_on_failure(RemoteAction.run)
