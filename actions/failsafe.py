"""One failure wrapper for every action: whatever breaks inside an action (a bug, an
unexpected portal answer), the citizen gets the polite apology with the offer of a human
instead of silence, and the log gets a masked one-line summary instead of the tracker.

Every action class in ``actions/`` derives from ``SafeAction`` or ``SafeFormValidationAction``,
whose ``FailSafe`` mixin wraps the class's ``run`` once, when the class is defined; the action
server registers that wrapped ``run``.
A failed action is all or nothing: what it had already said and the events it would have
returned are dropped, so the conversation is never left half-updated.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.common import CLEAR_CHOICE, SORRY_PORTAL_DOWN
from actions.form_repair import off_path
from actions.interruption import TASK_ENDS, read_rest_as_answer, resume_events, resume_reads_message, resuming
from actions.turn_budget import within_turn
from govbot.logmask import mask_openid, redact

logger = logging.getLogger(__name__)
GUARDED = "_failsafe_guarded"
REPAIRED = "_form_repair_checked"
RESUMES = "_resumes_paused_form"


def guarded(run: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(run)
    async def safe_run(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: Dict[str, Any]) -> List[EventType]:
        try:
            turn = _turn_of(tracker)
            with within_turn(turn) if turn else contextlib.nullcontext():
                return await run(self, dispatcher, tracker, domain)
        except ActionExecutionRejection:  # not a failure: the SDK's way of letting Rasa choose again
            raise
        except Exception as error:  # the one place that turns any failure into a reply
            log_failure(self.name(), tracker, error)
            dispatcher.messages.clear()
            dispatcher.utter_message(text=SORRY_PORTAL_DOWN)
            return fallback_events(self, tracker)

    setattr(safe_run, GUARDED, True)
    return safe_run


def _turn_of(tracker: Tracker) -> Optional[Tuple[str, str]]:
    """The citizen turn an action runs in (sender, message id): every action answering one message
    shares its portal budget. Without a message id there is no turn to share."""
    message_id = (tracker.latest_message or {}).get("message_id")
    return (tracker.sender_id, str(message_id)) if message_id else None


class FailSafe:
    """Mixin of every action class: its ``run`` never raises."""

    run: Callable[..., Any]  # every action class defines it (rasa_sdk's Action)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.run
        if not getattr(run, GUARDED, False):
            cls.run = guarded(run)


def with_resume(run: Callable[..., Any]) -> Callable[..., Any]:
    """After an action that ends a task (``TASK_ENDS``), comes back to a form the task had paused
    (``actions/interruption.py``)."""
    if getattr(run, RESUMES, False):
        return run

    @functools.wraps(run)
    async def resuming_run(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: Dict[str, Any]) -> List[EventType]:
        events = await run(self, dispatcher, tracker, domain)
        if self.name() in TASK_ENDS:
            events = [*events, *resume_events(dispatcher, tracker, events)]
        return events

    setattr(resuming_run, RESUMES, True)
    return resuming_run


class SafeAction(FailSafe, Action, ABC):
    """Base of every action here (abstract, so the action server does not register it).

    An action that ends a task resumes the form that task had paused (``with_resume``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "run" in cls.__dict__:
            cls.run = with_resume(cls.__dict__["run"])
        super().__init_subclass__(**kwargs)

    @abstractmethod
    def name(self) -> Text:
        """The action's name in the domain."""


def with_repair(run: Callable[..., Any]) -> Callable[..., Any]:
    """Runs the form-wide repair check (``actions/form_repair.py``) before ``run`` reads the message."""
    if getattr(run, REPAIRED, False):
        return run

    @functools.wraps(run)
    async def repaired_run(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: Dict[str, Any]) -> List[EventType]:
        if resuming(tracker, self.form_name()):  # back after another task (actions/interruption.py)
            if not resume_reads_message(tracker):
                return []  # that task answered the message: the form only asks its next question
            read_rest_as_answer(tracker)
        elif not self.answers_itself(tracker):
            events = off_path(self.form_name(), dispatcher, tracker, domain)
            if events is not None:
                return events
        return await run(self, dispatcher, tracker, domain)

    setattr(repaired_run, REPAIRED, True)
    return repaired_run


class SafeFormValidationAction(FailSafe, FormValidationAction, ABC):
    """Base of every form validation here (abstract, so the action server does not register it).

    Every message is first checked for a person, a repeat or a way out (``with_repair``), in this
    class's ``run`` and in any ``run`` a subclass defines, before extraction or validation.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "run" in cls.__dict__:
            cls.run = with_repair(cls.__dict__["run"])  # type: ignore[method-assign]  # each subclass's own run
        super().__init_subclass__(**kwargs)

    @abstractmethod
    def name(self) -> Text:
        """``validate_<form>``."""

    def answers_itself(self, tracker: Tracker) -> bool:
        """Whether the form reads this message itself even if it sounds like a repair
        (e.g. "不用了" answering an optional question). Override where that is so."""
        return False

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        return await FormValidationAction.run(self, dispatcher, tracker, domain)

    run = guarded(with_repair(run))


def fallback_events(action: Any, tracker: Tracker) -> List[EventType]:
    """What a failed action leaves behind.

    A form's validation keeps the form where it was: the requested slot stays empty (set to
    its current value, which also keeps Rasa from treating the message as off-topic), so the
    form asks the same question again after the apology. Any other action forgets the last
    offer: the apology, not the offer, is now the bot's last word, so a later "1" picks nothing.
    """
    if isinstance(action, ValidationAction):
        requested = tracker.get_slot("requested_slot")
        return [SlotSet(requested, tracker.get_slot(requested))] if requested else []
    return list(CLEAR_CHOICE)


def log_failure(action_name: str, tracker: Tracker, error: BaseException) -> None:
    """Action, exception, where it was raised and the user's text, masked; never the tracker."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__][-3:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    latest = tracker.latest_message or {}
    logger.error("action %s failed: %s(%s) at %s; sender %s, intent %s, text %r", action_name,
                 type(error).__name__, redact(str(error), 120), where, mask_openid(tracker.sender_id),
                 (latest.get("intent") or {}).get("name"), redact(latest.get("text") or ""))
