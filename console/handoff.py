"""The handed-over conversation's states and the one table of transitions between them.

A conversation is with the bot until the citizen needs a person; it then waits for staff (or,
outside staff hours, becomes a ticket for the next working day), is claimed by one staff member,
and ends handed back to the bot, closed, or left as a ticket. ``console.sessions`` runs these
transitions on the database; nothing else decides which move is allowed.
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, FrozenSet, Tuple


class State(str, Enum):
    BOT = "bot"  # the bot answers (before the handover, or handed back)
    WAITING = "waiting"  # in the queue for staff
    WITH_STAFF = "with_staff"  # one staff member answers
    TICKET = "ticket"  # left for staff hours
    CLOSED = "closed"


class Action(str, Enum):
    ESCALATE = "escalate"  # the citizen (or the bot for them) asks for a person in staff hours
    LEAVE_MESSAGE = "leave_message"  # the same outside staff hours
    WITHDRAW = "withdraw"  # the citizen no longer waits
    DEFER = "defer"  # staff hours end: a waiting or unfinished conversation becomes a ticket
    CLAIM = "claim"
    RELEASE = "release"  # back to the queue
    TRANSFER = "transfer"  # to a colleague
    CLOSE = "close"
    HAND_BACK = "hand_back"  # the bot answers again


TRANSITIONS: Dict[Tuple[State, Action], State] = {
    (State.BOT, Action.ESCALATE): State.WAITING,
    (State.BOT, Action.LEAVE_MESSAGE): State.TICKET,
    (State.WAITING, Action.WITHDRAW): State.BOT,
    (State.WAITING, Action.DEFER): State.TICKET,
    (State.WAITING, Action.CLAIM): State.WITH_STAFF,
    (State.TICKET, Action.CLAIM): State.WITH_STAFF,
    (State.TICKET, Action.CLOSE): State.CLOSED,
    (State.WITH_STAFF, Action.RELEASE): State.WAITING,
    (State.WITH_STAFF, Action.TRANSFER): State.WITH_STAFF,
    (State.WITH_STAFF, Action.CLOSE): State.CLOSED,
    (State.WITH_STAFF, Action.HAND_BACK): State.BOT,
    (State.WITH_STAFF, Action.DEFER): State.TICKET,
}
# Taken by a staff member, who must be the one the conversation is with (or a supervisor);
# a claim takes whatever is free.
STAFF_ACTIONS: FrozenSet[Action] = frozenset({Action.CLAIM, Action.RELEASE, Action.TRANSFER, Action.CLOSE,
                                              Action.HAND_BACK})
ACTIVE_STATES: FrozenSet[State] = frozenset({State.WAITING, State.WITH_STAFF, State.TICKET})


class HandoffError(Exception):
    """A handoff operation was refused; nothing was changed."""


class IllegalTransition(HandoffError):
    def __init__(self, state: State, action: Action, detail: str = ""):
        self.state, self.action = state, action
        super().__init__(f"cannot {action.value} a conversation that is {state.value}{detail}")


class Conflict(IllegalTransition):
    """Someone else moved the conversation between our read and our write (a lost claim)."""

    def __init__(self, state: State, action: Action):
        super().__init__(state, action, " any more: it was changed meanwhile")


def next_state(state: State, action: Action) -> State:
    """Where ``action`` takes a conversation in ``state``; raises ``IllegalTransition``."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None


class UnknownSession(HandoffError):
    def __init__(self, session_id: int):
        super().__init__(f"no handoff session {session_id}")


class NotAssigned(HandoffError):
    """Only the staff member the conversation is with (or a supervisor) may act on it."""


class Undeliverable(HandoffError):
    """A staff reply can no longer reach the citizen (``console.delivery``: why)."""

    def __init__(self, why: str):
        self.why = why
        super().__init__(f"the reply cannot be delivered: {why}")
