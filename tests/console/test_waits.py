"""The expected wait told to a citizen, measured from recent claims (``console.waits``): by its
rule on chosen queues, then on SQLite and PostgreSQL through the sessions staff really claimed,
with tickets left out and the default before enough claims were seen."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from console import waits
from console.escalation import Escalations
from console.messages import Transcripts
from console.waits import DEFAULT_PER_PLACE, Stay, time_per_place
from govbot.clock import CHINA_TZ

NINE = datetime(2026, 12, 8, 9, 0, tzinfo=CHINA_TZ)  # a Tuesday


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def test_an_idle_queue_counts_each_citizen_s_own_wait():
    """Hours apart, each found the queue empty: the gaps between them do not count."""
    stays = [Stay(NINE + minutes(90 * i), NINE + minutes(90 * i + wait), True) for i, wait in enumerate((2, 3, 4))]
    assert time_per_place(stays) == minutes(3)


def test_a_busy_queue_is_seen_per_place():
    """Three at once, claimed two minutes apart: 2/1, 4/2 and 6/3 minutes per place."""
    arrivals = [NINE + timedelta(seconds=i) for i in range(3)]
    stays = [Stay(arrived, arrived + minutes(2 * (i + 1)), True) for i, arrived in enumerate(arrivals)]
    assert time_per_place(stays) == minutes(2)


def test_too_few_claims_tell_nothing_and_unclaimed_ones_only_count_as_ahead():
    assert time_per_place([Stay(NINE, NINE + minutes(5), True)] * 2) is None
    gone = Stay(NINE, NINE + minutes(1), claimed=False)  # left the queue unclaimed
    waiting = Stay(NINE, None, claimed=False)
    assert time_per_place([gone, waiting, Stay(NINE + minutes(30), None, False)]) is None


def test_only_the_latest_claims_count():
    old = [Stay(NINE + minutes(60 * i), NINE + minutes(60 * i + 30), True) for i in range(waits.SAMPLES)]
    late = NINE + minutes(60 * waits.SAMPLES)
    new = [Stay(late + minutes(10 * i), late + minutes(10 * i + 1), True) for i in range(waits.SAMPLES)]
    assert time_per_place(old) == minutes(30)
    assert time_per_place(old + new) == minutes(1)


async def test_citizens_are_told_the_wait_staff_actually_took(engine, sessions, hours, team, clock):
    desk = Escalations(sessions, Transcripts(engine, clock), hours, clock)
    clock.now = NINE
    first = await desk.escalate("wechat", "o-first", "user_request")
    assert first.expected_wait == DEFAULT_PER_PLACE  # nothing measured yet
    clock.now += minutes(2)
    await sessions.claim(first.session.id, team.li)
    for number in range(1, 4):  # three more, each claimed 8 minutes after asking
        clock.now = NINE + minutes(20 * number)
        session = (await desk.escalate("wechat", f"o-claimed-{number}", "user_request")).session
        clock.now += minutes(8)
        await sessions.claim(session.id, team.wang)
    clock.now = NINE + minutes(90)
    await desk.escalate("wechat", "o-ahead", "user_request")
    told = await desk.escalate("wechat", "o-told", "user_request")
    assert told.ahead == 1 and told.expected_wait == minutes(2 * 8)  # the median: 8 minutes a place


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_messages_left_outside_staff_hours_are_not_counted(engine, sessions, hours, team, clock):
    desk = Escalations(sessions, Transcripts(engine, clock), hours, clock)
    for number in range(3):  # left at night, taken up the next morning
        clock.now = NINE - timedelta(hours=12) + minutes(number)
        ticket = await desk.escalate("wechat", f"o-night-{number}", "user_request")
        assert ticket.opens_at is not None
        clock.now = NINE + minutes(5)
        await sessions.claim(ticket.session.id, team.wang)
    assert await sessions.expected_wait(places=1) == DEFAULT_PER_PLACE
