"""One time budget for the portal calls of one citizen turn.

WeChat waits 5 s for the passive reply to a message; after that the reply can only go out as a
customer-service message, and the citizen waits in silence meanwhile. One turn runs several
actions (the form's validation, its question, the submission), each of which may call the portal
with a timeout and a retry; with a hanging portal those add up to 10 s and more. Every action run
of one turn (same sender, same message) therefore shares one deadline: once it has passed, a
portal call fails at once and the action gives its apology while the citizen is still listening.
"""
from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from contextvars import ContextVar
from typing import Callable, Hashable, Iterator, Optional

TURN_BUDGET_SECONDS = 4.0  # under WeChat's 5 s, leaving Rasa and the connector their share
_KEPT_TURNS = 4096  # turns remembered; older ones have long finished
_deadline: ContextVar[Optional[float]] = ContextVar("portal_turn_deadline", default=None)


class TurnBudgets:
    """The deadline of each recent turn, set when its first action starts."""

    def __init__(self, seconds: float = TURN_BUDGET_SECONDS, now: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._now = now
        self._deadlines: "OrderedDict[Hashable, float]" = OrderedDict()

    def deadline(self, turn: Hashable) -> float:
        if turn not in self._deadlines:
            self._deadlines[turn] = self._now() + self.seconds
            while len(self._deadlines) > _KEPT_TURNS:
                self._deadlines.popitem(last=False)
        return self._deadlines[turn]


BUDGETS = TurnBudgets()


@contextlib.contextmanager
def within_turn(turn: Hashable, budgets: TurnBudgets = BUDGETS) -> Iterator[None]:
    """Portal calls inside the block share ``turn``'s deadline."""
    token = _deadline.set(budgets.deadline(turn))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left(now: Callable[[], float] = time.monotonic) -> Optional[float]:
    """Time left for the current turn's portal calls; None outside a turn (no limit but the call's own)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - now()
