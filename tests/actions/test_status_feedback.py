"""Status after verification only; complaints and ratings reach the portal."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionRateService, ActionRegisterComplaint, rating_level
from actions.handoff import ActionClarify, ActionHandoff
from actions.status import ActionShowStatus, ValidateStatusForm
from tests.actions.conftest import DOMAIN, make_tracker, slot_events, texts

STATUS_DOMAIN = {"forms": {"status_form": {"required_slots": ["application_id", "status_last4"]}}, "slots": {}}


async def show(slots):
    dispatcher = CollectingDispatcher()
    await ActionShowStatus().run(dispatcher, make_tracker("5678", slots=slots), DOMAIN)
    return texts(dispatcher)


async def test_status_shows_step_and_next_after_verification(client):
    reply = await show({"application_id": "SQ20261118000123", "status_last4": "5678"})
    assert "审核中" in reply and "下一步" in reply and "企业设立登记" in reply


async def test_correction_says_what_to_bring(client):
    reply = await show({"application_id": "SQ20261110000456", "status_last4": "4321"})
    assert "补正" in reply and "请补交" in reply


async def test_wrong_number_and_wrong_digits_answer_the_same(client):
    wrong_digits = await show({"application_id": "SQ20261118000123", "status_last4": "0000"})
    wrong_number = await show({"application_id": "SQ20261118999999", "status_last4": "5678"})
    assert wrong_digits == wrong_number and "审核中" not in wrong_digits


async def test_number_is_taken_from_the_first_message_and_nothing_is_shown_yet(client):
    tracker = make_tracker("帮我查下sq20261118000123到哪了", "check_status", slots={"requested_slot": None},
                           active_loop="status_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(dispatcher, tracker, STATUS_DOMAIN)
    assert slot_events(events)["application_id"] == "SQ20261118000123"
    assert "审核中" not in texts(dispatcher)


async def test_complaint_gets_a_reference(client):
    dispatcher = CollectingDispatcher()
    await ActionRegisterComplaint().run(dispatcher, make_tracker("", slots={
        "complaint_text": "东城区大厅窗口工作人员态度很差，让我跑了三趟"}), DOMAIN)
    assert "编号 TS" in texts(dispatcher) and "转人工" in texts(dispatcher)


async def test_rating_levels_and_bad_rating_apology(client):
    dispatcher = CollectingDispatcher()
    await ActionRateService().run(dispatcher, make_tracker("给个差评", "rate_service", entities=[
        {"entity": "rating", "value": "不满意"}]), DOMAIN)
    assert "不满意" in texts(dispatcher) and "整改" in texts(dispatcher)
    assert rating_level(make_tracker("五星好评", "rate_service")) == "非常满意"
    assert rating_level(make_tracker("一般般吧", "rate_service")) == "基本满意"


@pytest.mark.parametrize("text, level", [
    ("打5分", "非常满意"), ("给个4分吧", "满意"), ("三分", "基本满意"), ("只给2分", "不满意"), ("0分", "非常不满意"),
    ("8分", "满意"), ("给你们九十分", "非常满意"), ("一百分", "非常满意"), ("60分 及格吧", "基本满意"),
    ("⭐⭐⭐⭐⭐", "非常满意"), ("★★", "不满意"), ("十分满意", "非常满意"), ("十分不满意", "非常不满意"),
    ("150分", None), ("⭐⭐⭐⭐⭐⭐", None), ("我要评价", None)])
def test_scores_and_stars_stand_for_levels(text, level):
    assert rating_level(make_tracker(text, "rate_service")) == level


async def test_handoff_pauses_the_conversation():
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, make_tracker("转人工", "human_handoff"), DOMAIN)
    assert any(e["event"] == "pause" for e in events)


async def test_second_miss_in_a_row_offers_a_human():
    first = CollectingDispatcher()
    await ActionClarify().run(first, make_tracker("呃呃呃", "nlu_fallback"), DOMAIN)
    assert "1. " in texts(first)
    second = CollectingDispatcher()
    events = [{"event": "action", "name": "action_clarify"}, {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "啊啊"}]
    await ActionClarify().run(second, make_tracker("啊啊", "nlu_fallback", events=events), DOMAIN)
    assert "转人工" in texts(second)


async def test_looking_up_a_number_before_verification_is_not_a_failed_attempt(client):
    """validate_application_id first tries the openid alone; that used to count as a failure, so
    a citizen who asked a few times was told 请…分钟后再试 before typing any digits."""
    for _ in range(6):
        events = await ValidateStatusForm().validate_application_id(
            "SQ20261118000123", CollectingDispatcher(), make_tracker("SQ20261118000123"), STATUS_DOMAIN)
        assert events["application_id"] == "SQ20261118000123" and not events.get("status_verified")
    reply = await show({"application_id": "SQ20261118000123", "status_last4": "5678"})
    assert "审核中" in reply and "分钟后再试" not in reply


async def test_the_owner_verified_once_is_recognised_by_openid(client):
    assert "审核中" in await show({"application_id": "SQ20261118000123", "status_last4": "5678"})
    events = await ValidateStatusForm().validate_application_id(
        "SQ20261118000123", CollectingDispatcher(), make_tracker("SQ20261118000123"), STATUS_DOMAIN)
    assert events["status_verified"] is True


async def _verify_with(text):
    tracker = make_tracker(text, "inform", slots={"requested_slot": "status_last4",
                                                  "application_id": "SQ20261118000123"}, active_loop="status_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateStatusForm().run(dispatcher, tracker, STATUS_DOMAIN)
    return slot_events(events).get("status_last4"), texts(dispatcher)


@pytest.mark.parametrize("text, taken", [("5678", "5678"), ("尾号5678", "5678"), ("13812345678", "13812345678"),
                                         ("我手机是138 1234 5678", "13812345678")])
async def test_the_last_four_or_the_whole_phone_is_taken(client, text, taken):
    assert (await _verify_with(text))[0] == taken


@pytest.mark.parametrize("text, said", [("567", "少了一位"), ("56789", "多了一位"), ("1381234567", "少了一位"),
                                        ("138123456789", "多了一位")])
async def test_a_malformed_verification_says_what_is_wrong(client, text, said):
    taken, reply = await _verify_with(text)
    assert taken is None and said in reply


async def test_the_whole_phone_shows_the_status_and_a_wrong_one_does_not(client):
    # wrong first: a verified query binds the openid, which then needs no digits at all
    assert "审核中" not in await show({"application_id": "SQ20261118000123", "status_last4": "13900005678"})
    assert "审核中" in await show({"application_id": "SQ20261118000123", "status_last4": "13812345678"})


async def test_a_number_with_a_digit_missing_is_called_malformed(client):
    tracker = make_tracker("SQ2026111800012", "inform", slots={"requested_slot": "application_id"},
                           active_loop="status_form")
    dispatcher = CollectingDispatcher()
    await ValidateStatusForm().run(dispatcher, tracker, STATUS_DOMAIN)
    assert "少了一位" in texts(dispatcher)
