"""Chinese day/time expressions over a fixed corpus, with "now" fixed to Wed 2026-11-25 10:00."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.dates import When, parse_when

NOW = datetime(2026, 11, 25, 10, 0)
AM, PM, ALL = (0, 12), (12, 24), (0, 24)
CORPUS = [
    ("明天", When(date(2026, 11, 26), None, ALL)),
    ("明天上午", When(date(2026, 11, 26), None, AM)),
    ("明天下午", When(date(2026, 11, 26), None, PM)),
    ("明早", When(date(2026, 11, 26), None, AM)),
    ("明天早上", When(date(2026, 11, 26), None, AM)),
    ("明天上午9点", When(date(2026, 11, 26), 9, ALL)),
    ("明天上午九点", When(date(2026, 11, 26), 9, ALL)),
    ("明天下午三点", When(date(2026, 11, 26), 15, ALL)),
    ("明天下午3点", When(date(2026, 11, 26), 15, ALL)),
    ("明天14点", When(date(2026, 11, 26), 14, ALL)),
    ("后天", When(date(2026, 11, 27), None, ALL)),
    ("后天上午", When(date(2026, 11, 27), None, AM)),
    ("后天下午", When(date(2026, 11, 27), None, PM)),
    ("后天下午两点", When(date(2026, 11, 27), 14, ALL)),
    ("后天上午十点", When(date(2026, 11, 27), 10, ALL)),
    ("大后天", When(date(2026, 11, 28), None, ALL)),
    ("大后天上午", When(date(2026, 11, 28), None, AM)),
    ("下周一", When(date(2026, 11, 30), None, ALL)),
    ("周一下午", When(date(2026, 11, 30), None, PM)),     # a bare weekday already past this week: the next one
    ("换成周二上午", When(date(2026, 12, 1), None, AM)),
    ("下周二", When(date(2026, 12, 1), None, ALL)),
    ("下周三", When(date(2026, 12, 2), None, ALL)),
    ("下周三上午", When(date(2026, 12, 2), None, AM)),
    ("下周三上午10点", When(date(2026, 12, 2), 10, ALL)),
    ("下周三下午", When(date(2026, 12, 2), None, PM)),
    ("下周四", When(date(2026, 12, 3), None, ALL)),
    ("下周五下午", When(date(2026, 12, 4), None, PM)),
    ("下礼拜一", When(date(2026, 11, 30), None, ALL)),
    ("下礼拜二上午", When(date(2026, 12, 1), None, AM)),
    ("下星期一", When(date(2026, 11, 30), None, ALL)),
    ("下星期三下午", When(date(2026, 12, 2), None, PM)),
    ("周五", When(date(2026, 11, 27), None, ALL)),
    ("周五上午", When(date(2026, 11, 27), None, AM)),
    ("周五上午十点", When(date(2026, 11, 27), 10, ALL)),
    ("这周五", When(date(2026, 11, 27), None, ALL)),
    ("这周五下午", When(date(2026, 11, 27), None, PM)),
    ("星期五", When(date(2026, 11, 27), None, ALL)),
    ("礼拜五", When(date(2026, 11, 27), None, ALL)),
    ("星期四下午", When(date(2026, 11, 26), None, PM)),
    ("周四上午9点", When(date(2026, 11, 26), 9, ALL)),
    ("12月3号", When(date(2026, 12, 3), None, ALL)),
    ("12月3日", When(date(2026, 12, 3), None, ALL)),
    ("12月3号上午", When(date(2026, 12, 3), None, AM)),
    ("12月3号上午十点", When(date(2026, 12, 3), 10, ALL)),
    ("12月3号下午", When(date(2026, 12, 3), None, PM)),
    ("12月1日下午3点", When(date(2026, 12, 1), 15, ALL)),
    ("十二月二号", When(date(2026, 12, 2), None, ALL)),
    ("十二月二号下午三点", When(date(2026, 12, 2), 15, ALL)),
    ("12/3", When(date(2026, 12, 3), None, ALL)),
    ("12月3日14:00", When(date(2026, 12, 3), 14, ALL)),
    ("11月30号", When(date(2026, 11, 30), None, ALL)),
    ("30号", When(date(2026, 11, 30), None, ALL)),
    ("3号", When(date(2026, 12, 3), None, ALL)),
    ("2号上午", When(date(2026, 12, 2), None, AM)),
    ("下午三点", When(None, 15, ALL)),
    ("上午十点", When(None, 10, ALL)),
    ("十点", When(None, 10, ALL)),
    ("下午", When(None, None, PM)),
    ("上午", When(None, None, AM)),
    ("我想约明天下午", When(date(2026, 11, 26), None, PM)),
    ("明天下午能去吗", When(date(2026, 11, 26), None, PM)),
    ("帮我约后天上午去办护照", When(date(2026, 11, 27), None, AM)),
    ("那就下周一上午吧", When(date(2026, 11, 30), None, AM)),
    ("换到后天上午", When(date(2026, 11, 27), None, AM)),
    ("後天上午", When(date(2026, 11, 27), None, AM)),
    ("下週三下午", When(date(2026, 12, 2), None, PM)),
    ("明天下午兩點", When(date(2026, 11, 26), 14, ALL)),
    ("聽日朝早", When(date(2026, 11, 26), None, AM)),
    ("听日下昼三点", When(date(2026, 11, 26), 15, ALL)),
    ("后日", When(date(2026, 11, 27), None, ALL)),
]
NOT_DATES = ["好的", "13812345678", "张三", "第二个", "补办身份证", "不知道", "SQ20261118000123", ""]


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("text, expected", CORPUS, ids=[t for t, _ in CORPUS])
def test_expression(text, expected):
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_a_date(text):
    assert parse_when(text, NOW) is None


# --- China time, whatever the server's zone -------------------------------------------------------

from datetime import timedelta, timezone  # noqa: E402

CHINA = timezone(timedelta(hours=8))


@pytest.mark.parametrize("now, text, day", [
    (datetime(2026, 11, 26, 0, 30, tzinfo=CHINA), "明天", date(2026, 11, 27)),     # UTC still says the 25th
    (datetime(2026, 11, 26, 0, 30, tzinfo=CHINA), "后天上午", date(2026, 11, 28)),
    (datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc), "明天", date(2026, 11, 27)),  # the same instant in UTC
    (datetime(2026, 11, 25, 23, 30, tzinfo=CHINA), "明天", date(2026, 11, 26)),
    (datetime(2026, 11, 25, 23, 30, tzinfo=CHINA), "下周二", date(2026, 12, 1)),
    (datetime(2026, 11, 26, 7, 59, tzinfo=CHINA), "下周二", date(2026, 12, 1)),
    (datetime(2026, 11, 26, 0, 30, tzinfo=CHINA), "3号", date(2026, 12, 3)),
])
def test_relative_days_count_from_china_s_date_at_night(server_zone, now, text, day):
    assert parse_when(text, now).day == day
