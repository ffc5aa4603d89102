"""The booking form's extraction and validation, submission, listing and cancelling."""
from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    CONTACT_DECLINED,
    ActionCancelBooking,
    ActionListBookings,
    ActionSubmitBooking,
    AskApptConfirmed,
    AskApptDate,
    AskApptName,
    ValidateAppointmentForm,
)
from actions.guides import bring_line
from tests.actions.conftest import DOMAIN, make_tracker, slot_events, texts

FORM_DOMAIN = {"forms": {"appointment_form": {"required_slots": [
    "appt_item", "appt_hall", "appt_date", "appt_hour", "appt_name", "appt_phone", "appt_confirmed"]}},
    "slots": {}}


async def validate(text, slots=None, intent="inform", entities=None):
    slots = {"requested_slot": None, **(slots or {})}
    tracker = make_tracker(text, intent, slots=slots, entities=entities, active_loop="appointment_form")
    dispatcher = CollectingDispatcher()
    events = await ValidateAppointmentForm().run(dispatcher, tracker, FORM_DOMAIN)
    return slot_events(events), texts(dispatcher)


async def first_free(client, item="GA-0003", hall="SMZX"):
    return next(s for s in await client.slots(item, hall) if s["available"])


async def test_opening_message_fills_item_day_and_part_of_day(client):
    slots, _ = await validate("我想预约明天下午去补办身份证", intent="book_appointment",
                              entities=[{"entity": "service_item", "value": "补办身份证"}])
    assert slots["appt_item"] == "GA-0003"
    assert slots["appt_date"]  # a day was understood; whether bookable depends on today


async def test_hall_is_asked_only_when_there_are_several(client):
    slots, _ = await validate("2", slots={"appt_item": "GA-0003", "requested_slot": "appt_hall",
                                          "choice_kind": "appt_hall", "choice_options": ["SMZX", "DCQ"]})
    assert slots["appt_hall"] == "DCQ"


async def test_date_choice_by_number_and_hour_from_part_of_day(client):
    free = await first_free(client)
    slots, _ = await validate("1", slots={"appt_item": "GA-0003", "appt_hall": "SMZX", "requested_slot": "appt_date",
                                          "choice_kind": "appt_date", "choice_options": [free["date"]]})
    assert slots["appt_date"] == free["date"]


async def test_unbookable_day_is_explained(client):
    slots, reply = await validate("12月31号", slots={"appt_item": "GA-0003", "appt_hall": "SMZX",
                                                     "requested_slot": "appt_date"})
    assert slots["appt_date"] is None
    assert "可预约" in reply or "约满" in reply, reply


async def test_phone_is_taken_from_any_message_and_checked(client):
    slots, _ = await validate("我叫王小明 手机138 1234 5678", slots={"requested_slot": "appt_name",
                                                                  "appt_item": "GA-0003", "appt_hall": "SMZX"})
    assert slots["appt_phone"] == "13812345678"
    slots, _ = await validate("1381234567", slots={"requested_slot": "appt_phone"})
    assert "appt_phone" not in slots


async def test_fully_online_item_says_so_before_booking(client):
    slots, reply = await validate("个税汇算", intent="book_appointment",
                                  entities=[{"entity": "service_item", "value": "个税汇算"}])
    assert "全程网办" in reply and slots["appt_item"] == "SW-0001"


async def test_submit_list_and_cancel(client):
    free = await first_free(client)
    booking_slots = {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": free["date"],
                     "appt_hour": float(free["hour"]), "appt_name": "王小明", "appt_phone": "13812345678",
                     "appt_confirmed": True}
    dispatcher = CollectingDispatcher()
    await ActionSubmitBooking().run(dispatcher, make_tracker("确认", "affirm", slots=booking_slots), DOMAIN)
    assert "预约成功" in texts(dispatcher) and "预约号" in texts(dispatcher)
    guide = await client.guide("GA-0003")  # what to bring, never what the window prints or takes
    assert bring_line({"bring": guide["bring"]}) in texts(dispatcher)
    assert all(m["name"] not in texts(dispatcher) for m in guide["materials"] if m.get("provided_at_window"))
    again = CollectingDispatcher()  # the same submission twice books once (idempotency key)
    await ActionSubmitBooking().run(again, make_tracker("确认", "affirm", slots=booking_slots), DOMAIN)
    listed = CollectingDispatcher()
    await ActionListBookings().run(listed, make_tracker("我的预约", "query_appointment"), DOMAIN)
    assert texts(listed).count("预约号") == 1
    number = (await client.bookings("o_citizen"))[0]["booking_no"]
    cancelled = CollectingDispatcher()
    await ActionCancelBooking().run(cancelled, make_tracker("确认", "affirm", slots={
        "cancel_booking_no": number, "cancel_confirmed": True}), DOMAIN)
    assert "已为您取消" in texts(cancelled)


async def test_a_booking_records_the_channel_of_the_conversation(client, sqlite_url):
    """The portal's notifications for it go back through the channel the citizen booked on only."""
    free = await first_free(client)
    slots = {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": free["date"], "appt_hour": float(free["hour"]),
             "appt_name": "王小明", "appt_phone": "13812345678", "appt_confirmed": True}
    said = [{"event": "user", "text": "确认", "input_channel": "rest"}]
    await ActionSubmitBooking().run(CollectingDispatcher(), make_tracker("确认", "affirm", slots=slots, events=said),
                                    DOMAIN)
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as db:
        assert db.execute("SELECT openid, channel FROM bookings").fetchall() == [("o_citizen", "rest")]


async def test_date_question_lists_free_days(client):
    dispatcher = CollectingDispatcher()
    events = await AskApptDate().run(dispatcher, make_tracker("", slots={"appt_item": "GA-0003",
                                                                          "appt_hall": "SMZX"}), DOMAIN)
    assert "1. " in texts(dispatcher) and slot_events(events)["choice_kind"] == "appt_date"


async def test_opening_message_names_the_item_even_when_nlu_missed_it(client):
    slots, reply = await validate("我想预约明天上午去办护照", intent="book_appointment")
    assert (slots.get("choice_options") == ["CRJ-0001", "CRJ-0002"]
            or (slots.get("appt_item") or "").startswith("CRJ")), (slots, reply)


async def ask_name(slots=None):
    dispatcher = CollectingDispatcher()
    events = await AskApptName().run(dispatcher, make_tracker("", slots=slots or {}), DOMAIN)
    return slot_events(events), dispatcher.messages


async def test_a_returning_citizen_reuses_the_name_and_phone_of_the_last_booking(client):
    free = await first_free(client)
    await client.book({"item_code": "GA-0003", "hall_code": "SMZX", "date": free["date"], "hour": free["hour"],
                       "name": "王小明", "phone": "13812345678", "openid": "o_citizen"}, "earlier-booking-0001")
    offered, messages = await ask_name()
    assert "王*明，手机138****5678" in messages[0]["text"] and "13812345678" not in messages[0]["text"]
    assert "13812345678" not in str(offered)  # the bot never holds the earlier full phone
    asking = {"requested_slot": "appt_name", **offered}
    slots, _ = await validate("是的", slots=asking, intent="affirm")
    assert (slots["appt_name"], slots["choice_kind"]) == ("王*明", None)
    assert slots["appt_phone"].startswith("stored:138****5678:")
    slots, _ = await validate("1", slots=asking)
    assert slots["appt_name"] == "王*明"
    slots, _ = await validate("李秀英", slots=asking)  # someone else comes: the phone is asked next
    assert slots["appt_name"] == "李秀英" and "appt_phone" not in slots
    slots, _ = await validate("不是", slots=asking, intent="deny")  # asked plainly, the form goes on
    assert slots["choice_kind"] == CONTACT_DECLINED and "appt_name" not in slots
    _, messages = await ask_name({"choice_kind": CONTACT_DECLINED})
    assert messages[0].get("response") == "utter_ask_appt_name"


async def test_a_first_time_citizen_is_asked_the_name_and_a_stop_word_is_no_name(client):
    _, messages = await ask_name()
    assert messages[0].get("response") == "utter_ask_appt_name"
    slots, _ = await validate("算了", slots={"requested_slot": "appt_name"}, intent="deny")
    assert slots.get("appt_name") is None  # not taken as a name (the form stops: 算了 gives the booking up)


async def reused_contact_slots(client) -> dict:
    """Slots of a returning citizen who said 是 to the offered contact, with a free slot chosen."""
    free = await first_free(client)
    await client.book({"item_code": "GA-0003", "hall_code": "SMZX", "date": free["date"], "hour": free["hour"],
                       "name": "王小明", "phone": "13812345678", "openid": "o_citizen"}, "earlier-booking-0002")
    offered, _ = await ask_name()
    accepted, _ = await validate("是的", slots={"requested_slot": "appt_name", **offered}, intent="affirm")
    other = next(s for s in await client.slots("GA-0003", "SMZX") if s["available"] and s["date"] != free["date"])
    return {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": other["date"],
            "appt_hour": float(other["hour"]), "appt_name": accepted["appt_name"],
            "appt_phone": accepted["appt_phone"], "appt_confirmed": True}


async def test_the_read_back_shows_the_masked_phone_and_the_booking_carries_the_handle(client):
    slots = await reused_contact_slots(client)
    read_back = CollectingDispatcher()
    await AskApptConfirmed().run(read_back, make_tracker("", slots=slots), DOMAIN)
    assert "姓名：王*明" in texts(read_back) and "手机：138****5678" in texts(read_back)
    assert "stored:" not in texts(read_back)
    submitted = CollectingDispatcher()
    await ActionSubmitBooking().run(submitted, make_tracker("确认", "affirm", slots=slots), DOMAIN)
    assert "预约成功" in texts(submitted), texts(submitted)
    made = [b for b in await client.bookings("o_citizen") if b["date"] == slots["appt_date"]]
    assert len(made) == 1 and made[0]["phone"] == "138****5678"


async def test_a_new_phone_for_a_reused_contact_asks_the_name_again(client):
    slots = await reused_contact_slots(client)
    changed, _ = await validate("手机换成13900001111", slots={**slots, "requested_slot": "appt_confirmed"})
    assert changed["appt_phone"] == "13900001111" and changed["appt_name"] is None


async def test_an_expired_contact_handle_asks_who_comes_again(client):
    slots = {**await reused_contact_slots(client), "appt_phone": "stored:138****5678:" + "x" * 32}
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitBooking().run(dispatcher, make_tracker("确认", "affirm", slots=slots), DOMAIN)
    assert "重新确认预约人" in texts(dispatcher)
    assert slot_events(events)["appt_phone"] is None and events[-1]["name"] == "appointment_form"


async def test_a_booking_limit_is_relayed_politely(client):
    free = [s for s in await client.slots("GA-0003", "SMZX") if s["available"]]
    days = sorted({s["date"] for s in free})
    for n, day in enumerate(days[:3]):
        hour = next(s["hour"] for s in free if s["date"] == day)
        dispatcher = CollectingDispatcher()
        await ActionSubmitBooking().run(dispatcher, make_tracker("确认", "affirm", slots={
            "appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": day, "appt_hour": float(hour),
            "appt_name": "王小明", "appt_phone": f"1381234567{n}", "appt_confirmed": True}), DOMAIN)
        replies = texts(dispatcher)
    assert "预约没有成功" in replies and "有效预约" in replies and "转人工" in replies, replies
    assert "too_many" not in replies and "。。" not in replies


GIVE_UPS = ["那就不约了吧", "不约了", "算了", "先不办了", "不用了", "算了不约了", "我不想约了", "改天再约吧",
            "下次再说吧", "还是不约了", "不预约了", "先这样吧不约了", "不弄了", "我不打算去办了", "那就算了"]


@pytest.mark.parametrize("text", GIVE_UPS)
@pytest.mark.parametrize("asked", ["appt_hall", "appt_date", "appt_name", "appt_phone", "appt_confirmed"])
async def test_giving_up_at_any_question_ends_the_form_without_a_booking(client, text, asked):
    tracker = make_tracker(text, "query_appointment", active_loop="appointment_form",
                           slots={"appt_item": "GA-0003", "requested_slot": asked})
    dispatcher = CollectingDispatcher()
    events = await ValidateAppointmentForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert slot_events(events)["appt_item"] is None and "utter_booking_stopped" in texts(dispatcher)


@pytest.mark.parametrize("text", ["不要上午，要下午", "不是这个大厅", "我不知道选哪个", "不着急，后天也行",
                                  "不要东城的"])
async def test_a_no_about_a_detail_is_not_giving_up(client, text):
    tracker = make_tracker(text, "deny", active_loop="appointment_form",
                           slots={"appt_item": "GA-0003", "requested_slot": "appt_date"})
    events = await ValidateAppointmentForm().run(CollectingDispatcher(), tracker, FORM_DOMAIN)
    assert all(e.get("event") != "active_loop" for e in events)  # the form goes on
    assert "appt_item" not in slot_events(events)
