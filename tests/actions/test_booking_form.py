"""Whole bookings through the form by direct action calls, at a fixed China clock (day and 00:30):
every fact taken whenever it comes, corrections, defaults, full and closed days, no question a
third time, ways out, portal failures."""
from __future__ import annotations

from datetime import datetime

import pytest

from actions import booking
from actions.common import SORRY_PORTAL_DOWN
from actions.gov_api import GovApi, use_gov_api
from govbot.clock import CHINA_TZ
from portal.app import init_app
from portal.settings import PortalSettings
from tests.actions.booking_driver import Booking
from tests.actions.conftest import BOT_KEY


async def test_first_message_then_phone_then_name_books_with_one_question(at):
    chat = Booking()
    reply = await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    assert chat.slots["appt_item"] == "CRJ-0001" and chat.slots["appt_hall"] == "CRJ"  # 办护照 without 丢/补
    assert chat.slots["appt_date"] == "2026-11-27" and chat.slots["appt_hour"] == 9.0, reply
    assert chat.asking == "appt_name"
    await chat.say("13812345678")  # the phone while the name is asked: taken, the name asked once more
    assert chat.slots["appt_phone"] == "13812345678" and chat.asking == "appt_name"
    reply = await chat.say("王小明")
    assert chat.asking == "appt_confirmed" and "11月27日" in reply and "09:00" in reply and "出入境" in reply
    await chat.say("确认")
    assert chat.slots["appt_confirmed"] is True and chat.questions.count("appt_hall") == 0


async def test_answer_to_another_question_is_taken_and_hall_never_asked_a_third_time(at):
    chat = Booking()
    await chat.say("预约补办身份证，明天下午", "book_appointment")
    assert chat.asking == "appt_hall"
    reply = await chat.say("王小明 13812345678")
    assert chat.slots["appt_name"] == "王小明" and chat.slots["appt_phone"] == "13812345678"
    assert chat.asking == "appt_hall" and "1." in reply and "转人工" in reply
    reply = await chat.say("嗯嗯")
    assert chat.slots["appt_hall"] in ("SMZX", "DCQ") and "最早有空" in reply
    assert chat.questions.count("appt_hall") == 2 and chat.asking == "appt_confirmed"


async def test_doesnt_mind_takes_the_hall_with_the_earliest_free_slot(at):
    chat = Booking()
    await chat.say("我要补办身份证，周四上午", "book_appointment")
    assert chat.asking == "appt_hall"
    await chat.say("随便")
    assert chat.slots["appt_hall"] == "SMZX" and chat.slots["appt_hour"] == 9.0  # both free at 9: first by code


async def test_corrections_replace_day_item_and_phone(at):
    chat = Booking()
    await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    await chat.say("王小明 13812345678")
    assert chat.asking == "appt_confirmed"
    reply = await chat.say("不对，换成周一下午")
    assert chat.slots["appt_date"] == "2026-11-30" and chat.slots["appt_hour"] == 13.0
    assert chat.slots["appt_confirmed"] is None and "11月30日" in reply
    await chat.say("电话换成13912345678")
    assert chat.slots["appt_phone"] == "13912345678" and chat.asking == "appt_confirmed"
    await chat.say("弄错了，我是要办居住证")
    assert chat.slots["appt_item"] == "GA-0007" and chat.slots["appt_hall"] != "CRJ"  # CRJ does not serve it


async def test_lost_passport_is_the_second_passport_item(at):
    chat = Booking()
    await chat.say("护照丢了，想约明天上午去补办", "book_appointment")
    assert chat.slots["appt_item"] == "CRJ-0002" and chat.slots["appt_date"] == "2026-11-26"


async def test_weekend_is_said_with_its_reason_and_numbered_alternatives(at):
    chat = Booking()
    reply = await chat.say("我想约周六上午去出入境办护照", "book_appointment")
    assert "周末" in reply and "最近可约" in reply and "1. " in reply
    assert chat.slots["appt_date"] is None and chat.slots["choice_kind"] == "appt_slot"
    day, hour, hall = chat.slots["choice_options"][0]
    assert day == "2026-11-27" and f"1. 11月27日（周五）{int(hour):02d}:00" in reply  # Friday: nearest to Saturday
    await chat.say("1")
    assert (chat.slots["appt_date"], chat.slots["appt_hour"], chat.slots["appt_hall"]) == (day, hour, hall)


async def test_full_morning_is_said_in_the_first_reply(at):
    from portal import tables
    from portal.keys import APPOINTMENTS
    appointments = at[APPOINTMENTS]
    async with appointments._engine.begin() as conn:
        await conn.execute(tables.slot_usage.insert(), [
            {"item_code": "CRJ-0001", "hall_code": "CRJ", "day": "2026-11-27", "hour": h, "booked": 999}
            for h in (9, 10, 11)])
    chat = Booking()
    reply = await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    assert "11月27日（周五）上午已约满。最近可约：\n1. 11月27日（周五）13:00" in reply, reply
    assert chat.asking != "appt_hall"


async def test_holiday_is_named(aiohttp_server, sqlite_url, clock):
    clock.now = datetime(2026, 9, 28, 0, 30, tzinfo=CHINA_TZ)
    app = init_app(PortalSettings(database_url=sqlite_url, api_key=BOT_KEY, admin_key="k-admin", now=clock))
    server = await aiohttp_server(app)
    use_gov_api(GovApi(str(server.make_url("")).rstrip("/"), BOT_KEY))
    reply = await Booking().say("10月2号上午去出入境办护照", "book_appointment")
    assert "国庆节" in reply and "最近可约" in reply


@pytest.mark.parametrize("text", ["不约了", "算了", "先不办了", "不用了", "改天再说", "那就不约了吧"])
@pytest.mark.parametrize("step", [0, 1, 2])
async def test_ways_out_at_every_step(at, text, step):
    chat = Booking()
    for message in ["预约补办身份证", "明天下午", "1"][:step + 1]:
        await chat.say(message, "book_appointment" if message.startswith("预约") else "inform")
    reply = await chat.say(text)
    assert reply == "utter_booking_stopped" and not chat.active
    assert all(chat.slots[s] is None for s in ("appt_item", "appt_date", "appt_hall"))


async def test_name_never_asked_a_third_time(at):
    chat = Booking()
    await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    await chat.say("嗯")
    reply = await chat.say("哦")
    assert "转人工" in reply and not chat.active and chat.questions.count("appt_name") == 2


async def test_portal_down_keeps_what_was_collected_and_continues(at, monkeypatch):
    chat = Booking()
    await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    good = booking.gov_api()
    dead = GovApi("http://127.0.0.1:9", BOT_KEY, timeout=0.5)
    use_gov_api(dead)
    reply = await chat.say("王小明 13812345678")
    assert reply.count("暂时没有响应") == 1
    use_gov_api(good)
    await dead.close()
    reply = await chat.say("好了吗")
    assert chat.slots["appt_item"] == "CRJ-0001" and "请核对预约信息" in reply
    assert chat.questions.count("appt_item") == 0


@pytest.fixture
async def dead_portal():
    dead = GovApi("http://127.0.0.1:9", BOT_KEY, timeout=0.3)
    use_gov_api(dead)
    yield dead
    await dead.close()


@pytest.mark.parametrize("ask", ["AskApptHall", "AskApptDate", "AskApptHour", "AskApptConfirmed", "AskApptItem"])
async def test_every_question_apologises_when_the_portal_is_down(dead_portal, ask):
    from rasa_sdk.executor import CollectingDispatcher

    from actions import booking_questions
    from tests.actions.conftest import make_tracker
    slots = {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": "2026-11-26", "appt_hour": 9.0,
             "appt_name": "王小明", "appt_phone": "13812345678", "choice_kind": "appt_item",
             "choice_options": ["GA-0001", "GA-0003"]}
    dispatcher = CollectingDispatcher()
    events = await getattr(booking_questions, ask)().run(dispatcher, make_tracker("嗯", slots=slots), {})
    assert [m["text"] for m in dispatcher.messages] == [SORRY_PORTAL_DOWN]
    assert not any(e.get("name") in booking.FORM_SLOTS for e in events)  # nothing collected is dropped


async def test_submit_apologises_and_keeps_the_booking_when_the_portal_is_down(dead_portal):
    from rasa_sdk.executor import CollectingDispatcher

    from tests.actions.conftest import make_tracker
    slots = {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": "2026-11-26", "appt_hour": 9.0,
             "appt_name": "王小明", "appt_phone": "13812345678", "appt_confirmed": True}
    dispatcher = CollectingDispatcher()
    events = await booking.ActionSubmitBooking().run(dispatcher, make_tracker("确认", "affirm", slots=slots), {})
    assert dispatcher.messages[0]["text"] == SORRY_PORTAL_DOWN
    reset = [e["name"] for e in events if e.get("event") == "slot" and e["value"] is None]
    assert reset == ["appt_confirmed"]  # asked to confirm again; the rest is kept


async def test_an_id_number_is_neither_a_phone_nor_a_time(at):
    chat = Booking()
    await chat.say("我想预约后天上午去出入境办护照", "book_appointment")
    await chat.say("王小明 身份证110101199003074514 电话13812345678")
    assert (chat.slots["appt_name"], chat.slots["appt_phone"]) == ("王小明", "13812345678")
    assert (chat.slots["appt_date"], chat.slots["appt_hour"]) == ("2026-11-27", 9.0)
    assert chat.asking == "appt_confirmed"


async def test_hall_changed_at_the_read_back(at):
    chat = Booking()
    await chat.say("我要补办身份证，周四上午，随便哪个大厅", "book_appointment")
    await chat.say("王小明 13812345678")
    assert chat.slots["appt_hall"] == "SMZX" and chat.asking == "appt_confirmed"
    reply = await chat.say("换个大厅")
    assert chat.asking == "appt_hall" and "1. 江州市民中心" in reply
    reply = await chat.say("去东城吧")
    assert chat.slots["appt_hall"] == "DCQ" and chat.slots["appt_hour"] == 9.0 and "东城区政务服务中心" in reply
