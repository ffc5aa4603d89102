"""Status lookups that help without leaking (issue 10, point 7): every way of giving the
verification, mismatches said plainly with the tries left, malformed numbers explained, the
number kept when the portal is down, numbers taken from the first message, no third ask."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SORRY_PORTAL_DOWN
from actions.gov_api import GovApi, use_gov_api
from actions.repair import HUMAN_HINT
from actions.status import ActionShowStatus, AskStatusLast4, ValidateStatusForm
from tests.actions.conftest import DOMAIN, asked_before, make_tracker, slot_events, texts

FORM = {"forms": {"status_form": {"required_slots": ["application_id", "status_last4"]}}, "slots": {}}
NUMBER = "SQ20261118000123"  # phone 13812345678
TAKEN = [("5678", "5678"), ("尾号5678", "5678"), ("手机尾号是5678", "5678"), ("后四位5678", "5678"),
         ("后四位是五六七八", "5678"), ("5 6 7 8", "5678"), ("５６７８", "5678"), ("是5678", "5678"),
         ("我的手机后4位5678", "5678"), ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"),
         ("138-1234-5678", "13812345678"), ("手机号13812345678", "13812345678"),
         ("我手机是一三八一二三四五六七八", "13812345678"), ("电话：13812345678。", "13812345678"),
         ("末四位5678吧", "5678")]
NOT_TAKEN = ["567", "56789", "1381234567", "138123456789", "不知道", "忘了", "转人工", "算了", "不查了",
             "我要人工客服", "啥", "好的", "5678 1234", "手机丢了", "没有手机号", "SQ号是啥"]


def asks(slot: str, times: int, text: str = "") -> List[Dict[str, Any]]:
    return asked_before(slot, times, text)


async def validate(text: str, slots: Dict[str, Any], times: int = 1, intent: str = "inform"
                   ) -> Tuple[Dict[str, Any], str]:
    tracker = make_tracker(text, intent, slots=slots, active_loop="status_form",
                           events=asks(slots.get("requested_slot") or "", times, text))
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(dispatcher, tracker, FORM)
    return slot_events(events), texts(dispatcher)


def verifying() -> Dict[str, Any]:
    return {"requested_slot": "status_last4", "application_id": NUMBER}


@pytest.mark.parametrize("text, taken", TAKEN)
async def test_every_way_of_giving_the_verification_verifies(client, text, taken):
    slots, said = await validate(text, verifying())
    assert slots["status_last4"] == taken and slots["status_verified"] is True, said


@pytest.mark.parametrize("text", NOT_TAKEN)
async def test_what_is_not_a_verification_is_not_taken(text):
    slots, _ = await validate(text, verifying())
    assert not slots.get("status_last4") and not slots.get("status_verified")


async def test_a_wrong_verification_is_said_plainly_and_the_number_kept(client):
    slots, said = await validate("13900005678", verifying())
    assert "与申请时留的手机号不符" in said and "还可以再试4次" in said and "审核中" not in said
    assert slots["status_last4"] is None and slots.get("application_id", NUMBER) == NUMBER
    slots, said = await validate("0000", verifying())
    assert "还可以再试3次" in said


async def test_an_unknown_number_and_a_wrong_verification_read_alike(client):
    _, wrong = await validate("0000", verifying())
    _, unknown = await validate("5678", {"requested_slot": "status_last4", "application_id": "SQ20261118999999"})
    assert wrong == unknown


async def test_a_second_wrong_answer_in_a_row_ends_with_the_offer_of_a_human(client):
    slots, said = await validate("0000", verifying(), times=2)
    assert slots["requested_slot"] is None and slots["status_verified"] is False and "转人工" in said
    shown = CollectingDispatcher()
    events = await ActionShowStatus().run(shown, make_tracker("", slots={"application_id": NUMBER, **slots}), DOMAIN)
    assert texts(shown) == "" and slot_events(events)["application_id"] is None
    slots, said = await validate("不知道", verifying(), times=2)
    assert slots["requested_slot"] is None and "转人工" in said


async def test_the_second_ask_offers_a_human():
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await AskStatusLast4().run(first, make_tracker(""), DOMAIN)
    await AskStatusLast4().run(second, make_tracker("", events=asks("status_last4", 1)), DOMAIN)
    assert HUMAN_HINT not in texts(first) and HUMAN_HINT in texts(second)


@pytest.mark.parametrize("text", ["看看进度 SQ20261118000123 电话13812345678", "查下SQ20261118000123 手机尾号5678",
                                  "SQ20261118000123，后四位5678"])
async def test_number_and_verification_in_the_first_message_are_taken_at_once(client, text):
    slots, said = await validate(text, {"requested_slot": None}, times=0, intent="check_status")
    assert slots["application_id"] == NUMBER and slots["status_verified"] is True, said


@pytest.mark.parametrize("text, said", [("SQ2026111800012", "少了一位"), ("SQ202611180001234", "多了一位"),
                                        ("20261118000123", "应以SQ开头"), ("SP20261118000123", "应以SQ开头")])
async def test_a_malformed_number_says_what_is_wrong(text, said):
    slots, reply = await validate(text, {"requested_slot": "application_id"})
    assert said in reply and not slots.get("application_id")


async def test_a_portal_that_is_down_apologises_and_keeps_the_number():
    use_gov_api(GovApi("http://127.0.0.1:9", "k", timeout=0.5))
    slots, said = await validate(f"帮我查 {NUMBER}", {"requested_slot": None}, times=0, intent="check_status")
    assert said == SORRY_PORTAL_DOWN and "后四位" not in said
    assert slots["application_id"] == NUMBER and slots["requested_slot"] is None
    events = [{"event": "user", "text": NUMBER}, {"event": "bot", "text": SORRY_PORTAL_DOWN}]
    shown = CollectingDispatcher()
    kept = await ActionShowStatus().run(shown, make_tracker("", slots={"application_id": NUMBER}, events=events),
                                        DOMAIN)
    assert texts(shown) == "" and kept == []


async def test_the_phone_before_the_number_is_kept_and_checked_with_it(client):
    slots, said = await validate("我手机13812345678", {"requested_slot": "application_id"})
    assert slots["status_last4"] == "13812345678" and "SQ" in said  # the number is still asked for
    slots, said = await validate(NUMBER, {"requested_slot": "application_id", "status_last4": "13900000000"})
    assert slots["status_last4"] is None and "不符" in said and slots["application_id"] == NUMBER
    slots, said = await validate(NUMBER, {"requested_slot": "application_id", "status_last4": "13812345678"})
    assert slots["application_id"] == NUMBER and slots["status_verified"] is True, said


async def test_a_verified_form_shows_the_status_and_right_answers_use_up_nothing(client):
    for _ in range(6):  # more than the 5 tries per number: right answers are never counted
        slots, _ = await validate("5678", verifying(), intent="inform")
        shown = CollectingDispatcher()
        await ActionShowStatus().run(shown, make_tracker("5678", slots={"application_id": NUMBER, **slots}), DOMAIN)
        assert "审核中" in texts(shown) and "分钟后再试" not in texts(shown)


@pytest.mark.parametrize("text, said", [("查进度 SQ2026111800012", "少了一位"),
                                        ("帮忙查一下SQ202611050007891办到哪了", "多了一位"),
                                        ("查一下 sq2026111800012 到哪一步了", "少了一位"),
                                        ("我的受理号SQ2026111800012345 查下", "是16位"),
                                        ("进度查询 SQ二〇二六一一一八〇〇〇一二", "少了一位")])
async def test_a_malformed_number_in_the_first_message_is_said_at_once(text, said):
    slots, reply = await validate(text, {"requested_slot": None}, times=0, intent="check_status")
    assert said in reply and not slots.get("application_id")


@pytest.mark.parametrize("text", ["哦少打了个3 SQ20261118000123", "少了个3SQ20261118000123", "多打了1 SQ20261118000123",
                                  "应该是SQ20261118000123", "是这个 sq20261118000123"])
async def test_a_number_right_after_a_digit_or_a_word_is_taken(client, text):
    slots, said = await validate(text, {"requested_slot": "application_id"})
    assert slots["application_id"] == NUMBER, said


async def test_a_right_number_in_the_first_message_says_nothing_is_wrong(client):
    _, reply = await validate(f"查进度 {NUMBER}", {"requested_slot": None}, times=0, intent="check_status")
    assert "少了一位" not in reply and "多了一位" not in reply


async def test_a_verified_query_binds_the_openid_with_the_channel_of_the_conversation(client, sqlite_url):
    """Status notifications then go back through the channel the citizen asked on, and no other."""
    said = [{"event": "user", "text": "5678", "input_channel": "wechat"}]
    tracker = make_tracker("5678", slots=verifying(), active_loop="status_form", events=said)
    await ValidateStatusForm().run(CollectingDispatcher(), tracker, FORM)
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as db:
        bound = db.execute("SELECT openid, channel FROM applications WHERE application_id = ?", (NUMBER,))
        assert bound.fetchall() == [("o_citizen", "wechat")]
