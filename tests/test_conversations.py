"""The conversation suite (``tests/conversations/*.yml``): every conversation played whole
through the real portal, action server and Rasa server, at a daytime clock over REST and at a
night-time clock (00:30 China time, still the day before in UTC) through the WeChat webhook in
safe mode, and checked where it ends (``tests/conversations/play.py``).

Slow: trains the model when it is out of date, then starts one stack per clock.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from govbot.settings import MODELS_DIR
from govbot.stack import Stack, running_stack
from govbot.train import train
from portal.catalog import Catalog
from tests.citizens import RestCitizen, WeChatCitizen
from tests.conversations.play import CASES, CLOCKS, Conversation, failures, load, play, report, today_of

SUITE = load()
MIN_CONVERSATIONS = 120
MIN_PER_CASE = 5


def test_the_suite_is_well_formed_and_covers_every_repair_case():
    names = Counter(c.name for c in SUITE)
    assert not [name for name, count in names.items() if count > 1], "conversation names must be unique"
    assert not [c.name for c in SUITE if c.case not in CASES], f"case must be one of {CASES}"
    assert len(SUITE) >= MIN_CONVERSATIONS
    per_case = Counter(c.case for c in SUITE)
    assert {case: per_case[case] for case in CASES if per_case[case] < MIN_PER_CASE} == {}
    assert all(c.turns and c.expect for c in SUITE), "every conversation says where it must end"


EXPECTATIONS = {"booking", "given_booking", "status_shown", "complaint", "handoff", "max_questions"}


def _reference_problems(conversation: Conversation, catalog: Catalog) -> List[str]:
    """Expectations that could never hold: an unknown check, item or hall, a turn that is not text."""
    found = [f"unknown check {key}" for key in set(conversation.expect) - EXPECTATIONS]
    found += [f"turn {turn.say!r} must be text" for turn in conversation.turns
              if not all(isinstance(t, str) for t in (turn.say, *turn.reply_has, *turn.reply_lacks))]
    for spec in (conversation.expect.get("booking"), conversation.given.get("booking")):
        if not isinstance(spec, dict):
            continue
        guide = catalog.guides.get(spec.get("item", ""))
        if guide is None:
            found.append(f"unknown item {spec.get('item')}")
        elif "hall" in spec and spec["hall"] not in [h.hall for h in guide.halls]:
            found.append(f"{spec['hall']} does not serve {guide.code}")
    return found


def test_every_expectation_names_real_items_halls_and_checks():
    catalog = Catalog.from_files()
    problems = {c.name: p for c in SUITE for p in [_reference_problems(c, catalog)] if p}
    assert problems == {}


@pytest.fixture(scope="module")
def model() -> Path:
    assert train() == 0, "training failed"
    return MODELS_DIR / "govbot.tar.gz"


@pytest.fixture(scope="module", params=list(CLOCKS))
def clock_stack(request, model, tmp_path_factory) -> Iterator[Tuple[str, Stack]]:
    logs = tmp_path_factory.mktemp(f"conversations-{request.param}")
    with running_stack(model, clock=CLOCKS[request.param], log_dir=logs) as stack:
        yield request.param, stack


@pytest.mark.slow
@pytest.mark.conversations
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("conversation", [
    pytest.param(c, id=f"{c.source}:{c.name}") for c in SUITE])
def test_conversation_ends_as_expected(conversation: Conversation, clock_stack):
    clock, stack = clock_stack
    citizen = RestCitizen(stack) if clock == "day" else WeChatCitizen(stack, aes=True)
    today = today_of(CLOCKS[clock])
    outcome = play(conversation, stack, citizen, today)
    problems = failures(conversation, outcome, today)
    known = conversation.known_failure(clock)
    if known and problems:
        pytest.xfail(f"{known}\n{report(conversation, outcome, problems)}")
    assert not known, f"passes now at the {clock} clock: remove its xfail ({known})"
    assert not problems, report(conversation, outcome, problems)
