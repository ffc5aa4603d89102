"""The cancel form: honest confirmations, one's own bookings, bookings made elsewhere found by
number + phone, ways out, and no question asked a third time (issue 10, points 5, 8, 13)."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel import (
    BOUND,
    ENDED,
    ActionCancelBooking,
    AskCancelBookingNo,
    AskCancelConfirmed,
    AskCancelPhone,
    ValidateCancelForm,
)
from actions.gov_api import GovApi, use_gov_api
from actions.repair import HUMAN_HINT
from tests.actions.conftest import DOMAIN, asked_before, make_tracker, slot_events, texts

FORM = {"forms": {"cancel_form": {"required_slots": ["cancel_booking_no", "cancel_confirmed"]}}, "slots": {}}
WEB_PHONE = "13700002222"
CANCEL_YES = ["取消吧", "对", "确认", "撤了吧", "不去了取消吧", "确定取消", "是的", "好的", "可以", "嗯", "没问题",
              "对，帮我取消", "行，取消掉", "我不想去了，取消吧", "确认取消", "ok", "1", "撤销吧", "退掉吧"]
CANCEL_NO = ["不取消了", "别取消", "先别取消了我还要去的", "还是留着吧", "我再想想", "算了不取消", "不", "不是",
             "不要取消", "不用了", "保留吧", "暂时不取消", "莫取消", "甭取消了", "否", "我还要去的",
             "等等，我再考虑一下", "先不取消"]


def asks(slot: str, times: int, text: str = "") -> List[Dict[str, Any]]:
    return asked_before(slot, times, text)


async def validate(text: str, slots: Dict[str, Any], intent: str = "inform", times: int = 1,
                   sender: str = "o_citizen") -> Tuple[Dict[str, Any], str]:
    tracker = make_tracker(text, intent, slots=slots, active_loop="cancel_form", sender=sender,
                           events=asks(slots.get("requested_slot") or "", times, text))
    dispatcher = CollectingDispatcher()
    events = await ValidateCancelForm().run(dispatcher, tracker, FORM)
    return slot_events(events), texts(dispatcher)


async def at_confirmation(text: str, intent: str = "inform") -> Optional[bool]:
    slots, _ = await validate(text, {"requested_slot": "cancel_confirmed", "cancel_booking_no": "YY2026112600000001",
                                     "cancel_phone": BOUND}, intent)
    return slots.get("cancel_confirmed")


@pytest.mark.parametrize("text", CANCEL_YES)
async def test_a_yes_at_the_confirmation_cancels(text):
    assert await at_confirmation(text) is True


@pytest.mark.parametrize("text", CANCEL_NO)
@pytest.mark.parametrize("intent", ["inform", "cancel_appointment"])
async def test_a_no_at_the_confirmation_keeps_even_with_the_verb(text, intent):
    """The NLU may read "先别取消了" as cancel_appointment: the words decide."""
    assert await at_confirmation(text, intent) is False


async def test_an_unclear_answer_is_asked_again_once_then_kept():
    slots, _ = await validate("周四几点开门", {"requested_slot": "cancel_confirmed",
                                            "cancel_booking_no": "YY2026112600000001", "cancel_phone": BOUND})
    assert "cancel_confirmed" not in slots
    slots, _ = await validate("周四几点开门", {"requested_slot": "cancel_confirmed",
                                            "cancel_booking_no": "YY2026112600000001", "cancel_phone": BOUND}, times=2)
    assert slots["cancel_confirmed"] is False


@pytest.mark.parametrize("text", ["转人工", "直接给我转人工客服吧", "算了", "不用了"])
async def test_ways_out_are_never_taken_as_a_booking_number_or_phone(text):
    for asked in ("cancel_booking_no", "cancel_phone"):
        slots, said = await validate(text, {"requested_slot": asked, "cancel_booking_no": "YY2026112600000001"
                                            if asked == "cancel_phone" else None})
        assert not slots.get("cancel_phone") and "不是11位" not in said


async def first_free(client: GovApi) -> Dict[str, Any]:
    return next(s for s in await client.slots("GA-0003", "SMZX") if s["available"])


async def booked_elsewhere(client: GovApi, phone: str = WEB_PHONE) -> str:
    """A booking made on the web: no openid."""
    free = await first_free(client)
    booking = await client.book({"item_code": "GA-0003", "hall_code": "SMZX", "date": free["date"],
                                 "hour": free["hour"], "name": "赵六", "phone": phone}, uuid.uuid4().hex)
    return booking["booking_no"]


async def test_a_booking_made_elsewhere_is_found_by_number_and_phone_and_cancelled(client):
    number = await booked_elsewhere(client)
    slots, _ = await validate(f"帮我把这个预约取消 {number} 电话{WEB_PHONE}", {"requested_slot": "cancel_booking_no"})
    assert slots["cancel_booking_no"] == number and slots["cancel_phone"] == WEB_PHONE
    asked = CollectingDispatcher()
    await AskCancelConfirmed().run(asked, make_tracker("", slots={"cancel_booking_no": number,
                                                                  "cancel_phone": WEB_PHONE}), DOMAIN)
    assert "居民身份证" in texts(asked) and number in texts(asked)
    confirmed, _ = await validate("对，取消吧", {"requested_slot": "cancel_confirmed", "cancel_booking_no": number,
                                              "cancel_phone": WEB_PHONE})
    done = CollectingDispatcher()
    await ActionCancelBooking().run(done, make_tracker("对", slots={
        "cancel_booking_no": number, "cancel_phone": WEB_PHONE, **confirmed}), DOMAIN)
    assert "已为您取消" in texts(done)
    assert (await client.lookup_booking(number, "o_citizen", WEB_PHONE))["status"] == "cancelled"


async def test_the_phone_is_asked_after_the_number_and_a_wrong_one_is_said_plainly(client):
    number = await booked_elsewhere(client)
    slots, _ = await validate(number, {"requested_slot": "cancel_booking_no"})
    assert slots["cancel_booking_no"] == number and not slots.get("cancel_phone")
    wrong, said = await validate("13900009999", {"requested_slot": "cancel_phone", "cancel_booking_no": number})
    assert wrong["cancel_phone"] is None and "不符" in said and "还可以再试4次" in said
    right, _ = await validate(WEB_PHONE, {"requested_slot": "cancel_phone", "cancel_booking_no": number})
    assert right["cancel_phone"] == WEB_PHONE


async def test_a_second_wrong_phone_in_a_row_ends_with_the_offer_of_a_human(client):
    number = await booked_elsewhere(client)
    slots, said = await validate("13900009999", {"requested_slot": "cancel_phone", "cancel_booking_no": number},
                                 times=2)
    assert slots["cancel_phone"] == ENDED and slots["requested_slot"] is None and "转人工" in said
    done = CollectingDispatcher()
    await ActionCancelBooking().run(done, make_tracker("", slots={"cancel_booking_no": number, **slots}), DOMAIN)
    assert texts(done) == ""
    assert (await client.lookup_booking(number, "o_citizen", WEB_PHONE))["status"] == "booked"


async def test_one_own_booking_needs_no_phone(client):
    free = await first_free(client)
    own = await client.book({"item_code": "GA-0003", "hall_code": "SMZX", "date": free["date"], "hour": free["hour"],
                             "name": "王小明", "phone": "13812345678", "openid": "o_citizen"}, uuid.uuid4().hex)
    slots, _ = await validate(f"取消{own['booking_no']}", {"requested_slot": "cancel_booking_no"})
    assert slots["cancel_phone"] == BOUND
    dispatcher = CollectingDispatcher()
    events = await AskCancelBookingNo().run(dispatcher, make_tracker("取消预约", "cancel_appointment"), DOMAIN)
    assert slot_events(events) == {"cancel_booking_no": own["booking_no"], "cancel_phone": BOUND}


async def test_without_own_bookings_the_number_is_asked_and_the_second_ask_offers_a_human(client):
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await AskCancelBookingNo().run(first, make_tracker("取消预约", "cancel_appointment"), DOMAIN)
    await AskCancelBookingNo().run(second, make_tracker("啥", events=asks("cancel_booking_no", 1)), DOMAIN)
    assert "预约号" in texts(first) and HUMAN_HINT not in texts(first)
    assert HUMAN_HINT in texts(second)
    phone = CollectingDispatcher()
    await AskCancelPhone().run(phone, make_tracker("", slots={"cancel_booking_no": "YY2026112600000001"},
                                                   events=asks("cancel_phone", 1)), DOMAIN)
    assert HUMAN_HINT in texts(phone)


async def test_a_malformed_booking_number_is_said_and_a_third_ask_never_comes():
    slots, said = await validate("YY202611260000001", {"requested_slot": "cancel_booking_no"})
    assert "少了一位" in said and not slots.get("cancel_booking_no")
    slots, said = await validate("不知道", {"requested_slot": "cancel_booking_no"}, times=2)
    assert slots["requested_slot"] is None and slots["cancel_phone"] == ENDED and "转人工" in said
    done = CollectingDispatcher()
    await ActionCancelBooking().run(done, make_tracker("", slots=slots), DOMAIN)
    assert texts(done) == ""


async def test_a_second_non_phone_in_a_row_ends_quietly_after_the_offer_of_a_human():
    slots, said = await validate("我不记得了", {"requested_slot": "cancel_phone",
                                               "cancel_booking_no": "YY2026112600000001"}, times=2)
    assert slots["requested_slot"] is None and slots["cancel_phone"] == ENDED and "转人工" in said


async def test_a_portal_that_is_down_gets_the_apology():
    use_gov_api(GovApi("http://127.0.0.1:9", "k", timeout=0.5))
    dispatcher = CollectingDispatcher()
    await AskCancelBookingNo().run(dispatcher, make_tracker("取消预约", "cancel_appointment"), DOMAIN)
    assert "转人工" in texts(dispatcher) and "暂时没有响应" in texts(dispatcher)


async def test_the_phone_before_the_number_is_kept_and_checked_with_it(client):
    number = await booked_elsewhere(client)
    slots, _ = await validate(f"我电话是{WEB_PHONE}", {"requested_slot": "cancel_booking_no"})
    assert slots["cancel_phone"] == WEB_PHONE and not slots.get("cancel_booking_no")
    slots, said = await validate(number, {"requested_slot": "cancel_booking_no", "cancel_phone": WEB_PHONE})
    assert (slots["cancel_booking_no"], slots["cancel_phone"]) == (number, WEB_PHONE), said
    slots, said = await validate(number, {"requested_slot": "cancel_booking_no", "cancel_phone": "13900009999"})
    assert slots["cancel_phone"] is None and "不符" in said


async def test_the_cancelled_item_stays_in_context_for_booking_again(client):
    number = await booked_elsewhere(client)
    done = CollectingDispatcher()
    events = await ActionCancelBooking().run(done, make_tracker("确认取消", slots={
        "cancel_booking_no": number, "cancel_phone": WEB_PHONE, "cancel_confirmed": True}), DOMAIN)
    assert "已为您取消" in texts(done)
    assert slot_events(events)["item_code"] == "GA-0003" and "身份证" in slot_events(events)["item_name"]


async def test_a_kept_booking_changes_no_context(client):
    number = await booked_elsewhere(client)
    events = await ActionCancelBooking().run(CollectingDispatcher(), make_tracker("不用了", slots={
        "cancel_booking_no": number, "cancel_phone": WEB_PHONE, "cancel_confirmed": False}), DOMAIN)
    assert "item_code" not in slot_events(events)


@pytest.mark.parametrize("text", ["取消预约 编号{no} 手机13700002222", "帮我取消{no}，手机号13700002222",
                                  "{no} 13700002222 取消", "退掉这个号{no} 电话 137 0000 2222"])
async def test_number_and_phone_in_one_message_go_straight_to_the_confirmation(client, text):
    number = await booked_elsewhere(client)
    slots, _ = await validate(text.format(no=number), {"requested_slot": None}, intent="cancel_appointment")
    assert slots["cancel_booking_no"] == number and slots["cancel_phone"] == WEB_PHONE
