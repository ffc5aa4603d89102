"""The one China clock: a fixed start runs on in real time; without one it is the real instant."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from govbot.clock import CHINA_TZ, ChinaClock, china_now, parse_start, use_clock


def test_a_start_without_offset_is_china_wall_clock():
    assert parse_start("2026-12-09T00:30:00") == datetime(2026, 12, 9, 0, 30, tzinfo=CHINA_TZ)


def test_late_evening_utc_is_already_tomorrow_in_china():
    clock = ChinaClock(parse_start("2026-12-08T16:30:00+00:00"))
    now = clock()
    assert now.date().isoformat() == "2026-12-09"
    assert now.utcoffset() == timedelta(hours=8)


def test_a_fixed_start_runs_on_from_there():
    start = datetime(2026, 12, 8, 10, 0, tzinfo=CHINA_TZ)
    first = ChinaClock(start)()
    assert timedelta(0) <= first - start < timedelta(seconds=5)


def test_without_a_start_it_is_the_real_instant():
    assert abs(ChinaClock.from_env({})() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_the_setting_is_read_from_the_environment():
    clock = ChinaClock.from_env({"GOVBOT_CLOCK": "2027-01-01T09:00:00+08:00"})
    assert clock().date().isoformat() == "2027-01-01"


def test_an_injected_clock_is_read_by_every_rule_in_china_time():
    late_evening_utc = datetime(2026, 12, 8, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 9th in China
    use_clock(lambda: late_evening_utc)
    try:
        assert china_now().date() == date(2026, 12, 9) and china_now().hour == 0
    finally:
        use_clock(None)
    assert abs(china_now() - datetime.now(timezone.utc)) < timedelta(seconds=5)
