"""The transition table is the lifecycle the issue describes, and nothing more."""
from __future__ import annotations

import itertools

import pytest

from console.handoff import TRANSITIONS, Action, IllegalTransition, State, next_state

S, A = State, Action
LIFECYCLE = {
    (S.BOT, A.ESCALATE, S.WAITING), (S.BOT, A.LEAVE_MESSAGE, S.TICKET),
    (S.WAITING, A.CLAIM, S.WITH_STAFF), (S.WAITING, A.WITHDRAW, S.BOT), (S.WAITING, A.DEFER, S.TICKET),
    (S.WITH_STAFF, A.RELEASE, S.WAITING), (S.WITH_STAFF, A.TRANSFER, S.WITH_STAFF),
    (S.WITH_STAFF, A.HAND_BACK, S.BOT), (S.WITH_STAFF, A.CLOSE, S.CLOSED), (S.WITH_STAFF, A.DEFER, S.TICKET),
    (S.TICKET, A.CLAIM, S.WITH_STAFF), (S.TICKET, A.CLOSE, S.CLOSED),
}


def test_the_table_is_the_lifecycle():
    assert {(state, action, target) for (state, action), target in TRANSITIONS.items()} == LIFECYCLE


@pytest.mark.parametrize("state, action", list(itertools.product(State, Action)))
def test_every_pair_is_either_a_transition_or_refused(state, action):
    expected = {(s, a): t for s, a, t in LIFECYCLE}.get((state, action))
    if expected is not None:
        assert next_state(state, action) is expected
        return
    with pytest.raises(IllegalTransition) as refused:
        next_state(state, action)
    assert (refused.value.state, refused.value.action) == (state, action)
    assert action.value in str(refused.value) and state.value in str(refused.value)


def test_a_closed_conversation_goes_nowhere():
    assert not [action for (state, action) in TRANSITIONS if state is State.CLOSED]
