"""Answers inside the booking form as citizens give them: names in any message and whatever the
NLU made of them, phones in words or pieces, a landline, a refused name (booking is by real name),
"any hour", a bare yes to a list of days or hours, corrections and changes of mind at the
read-back, dialect words for days, and small talk that changes no fact."""
from __future__ import annotations

from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import LANDLINE, REAL_NAME, ValidateAppointmentForm, said_name
from actions.booking_facts import any_hour, declines_name, off_topic
from actions.dates import parse_when
from actions.repair import wants_out
from actions.values import confirms_booking, landline, phone_number, plain_yes
from tests.actions.booking_driver import FORM_DOMAIN, Booking
from tests.actions.conftest import make_tracker, slot_events

NOW = datetime(2026, 12, 8, 10, 0)  # Tue


@pytest.mark.parametrize("text, asked, name", [
    ("我叫冯晓燕手机幺八六零零零零三四三四", True, "冯晓燕"), ("我是邱先生 邱志刚", True, "邱志刚"),
    ("邱先生，邱志刚", False, "邱志刚"), ("我是邱先生", True, "邱先生"), ("王女士 王丽", True, "王丽"),
    ("陆晓霞", True, "陆晓霞"), ("莫言", True, "莫言"), ("车晓", True, "车晓"), ("阮晴", True, "阮晴"),
    ("史国强 13988887766", True, "史国强"), ("好吧 阮晴 13877776666", True, "阮晴"), ("段誉 13588889999", True, "段誉"),
    ("卫东 13344445555 周五上午 东城", False, "卫东"), ("沈佩芬", False, "沈佩芬"), ("欧阳娜娜", True, "欧阳娜娜"),
    ("诸葛亮", False, "诸葛亮"), ("张有才", True, "张有才"), ("我叫陶敏 电话13916160101", False, "陶敏"),
    ("好吧 我叫钱多多", True, "钱多多"), ("名字打错了 是陆小霞", False, "陆小霞"),
    ("哦那我叫秦朗 13600005353", True, "秦朗"),
    ("我姓曹，叫曹德福，电话是一三五零零零零一二一二，我儿子帮我打的字", False, "曹德福"),
    ("中 我叫牛建军 手机号一五九三三三三六六六六", False, "牛建军"), ("姓名黎明辉", False, "黎明辉"),
    ("行吧 我叫甘露 13400006060", False, "甘露"), ("王明明天下午", True, "王明"), ("预约人：包晓东", False, "包晓东"),
    ("先说个事 上次去市民中心排了三个小时队 我要投诉", True, None), ("一三八 零零零零 七七八八", True, None),
    ("名字就不说了吧 跳过", True, None), ("几点都行 你看着办", True, None), ("明天天气怎么样啊", True, None),
    ("侬好伐 侬吃过饭了伐", True, None), ("谢谢", True, None), ("再见", True, None), ("好了吗", False, None),
    ("我是要办居住证", False, None), ("0571-86001234", True, None), ("哦要手机啊 13611223344", True, None),
    ("电话13600121212", False, None), ("在吗 你好", True, None), ("明朝下半天", True, None), ("高龄津贴", False, None),
])
def test_names_in_any_message(text, asked, name):
    assert said_name(text, asked) == name


@pytest.mark.parametrize("text, phone", [("一三八 零零零零 七七八八", "13800007788"), ("139-0012-3456", "13900123456"),
                                         ("我叫冯晓燕手机幺八六零零零零三四三四", "18600003434"),
                                         ("一五九 三三三三 六六六六", "15933336666"), ("0571-86001234", None)])
def test_phones_in_words_and_pieces(text, phone):
    assert phone_number(text) == phone


@pytest.mark.parametrize("text, fixed", [("0571-86001234", True), ("010 6552 8888", True), ("86001234", True),
                                         ("13611223344", False), ("我叫王明", False)])
def test_landlines(text, fixed):
    assert (landline(text) is not None) is fixed


@pytest.mark.parametrize("text", ["好好好，就这样，谢谢你啊同志", "对额 确认", "对额", "嗯 确认吧", "好的 谢谢",
                                  "行行行", "对对对 就这样", "好的，麻烦您了师傅", "嗯嗯，谢谢你们", "可以了",
                                  "是的是的"])
def test_plain_yes_as_older_and_dialect_speakers_say_it(text):
    assert confirms_booking(text, "thank") is True and plain_yes(text)


@pytest.mark.parametrize("text", ["好的，改下午", "对 王明", "我想办护照", "好冷啊"])
def test_a_yes_with_something_else_is_not_a_plain_yes(text):
    assert not plain_yes(text)


@pytest.mark.parametrize("text, day, hours", [
    ("阿拉明朝下半天想去出入境办港澳通行证", "2026-12-09", (12, 24)), ("明朝上半天到市民中心", "2026-12-09", (0, 12)),
    ("今朝下半日", "2026-12-08", (12, 24)), ("现在可以了吗 明天下午去东城办居住证", "2026-12-09", (12, 24)),
    ("哦不 上午有事 改下午", None, (12, 24)), ("算了 还是明天上午吧", "2026-12-09", (0, 12)),
    ("不对，换成周一下午", "2026-12-14", (12, 24)), ("周四下午换身份证", "2026-12-10", (12, 24)),
])
def test_days_and_parts_of_day_in_dialect_and_changes_of_mind(text, day, hours):
    when = parse_when(text, NOW)
    assert (when.day.isoformat() if when.day else None) == day and when.hours == hours


@pytest.mark.parametrize("text, out", [("算了东城太远 还是去市民中心吧", False), ("算了 改周五吧", False),
                                       ("算了，换个大厅", False), ("那算了 还是约后天上午", False),
                                       ("算了 不约了", True), ("还是算了", True), ("不约了 改天再说", True),
                                       ("算了吧，我还是自己去大厅吧", True),
                                       ("那就算了 我自己去 霍建华 13511110000", False),
                                       ("上门办不了就算了，我叫宁静 电话15900002222", False)])
def test_a_change_of_mind_after_suanle_is_no_way_out(text, out):
    assert wants_out(text) is out


@pytest.mark.parametrize("text", ["今天好冷啊", "明天天气怎么样啊", "明天会下雨吗", "你们几点下班", "周末开门吗",
                                  "今天吃过饭了伐", "明天股票会涨吗"])
def test_small_talk(text):
    assert off_topic(text)


def test_any_hour_and_a_refused_name():
    assert all(any_hour(t) for t in ["几点都行 你看着办", "时间都可以", "随便几点", "什么时候都行"])
    assert not any_hour("几点") and not any_hour("下午三点")
    assert all(declines_name(t) for t in ["名字就不说了吧 跳过", "不想说名字", "匿名可以吗", "名字不告诉你",
                                          "姓名保密"])
    assert not declines_name("不约了") and not declines_name("我叫王明")


# --- through the form ---------------------------------------------------------------------------------

async def _at_name_question(chat: Booking) -> None:
    await chat.say("后天下午去出入境办护照", "book_appointment")
    assert chat.asking == "appt_name"


@pytest.mark.parametrize("intent", ["inform", "deny", "goodbye"])
@pytest.mark.parametrize("text, name", [("陆晓霞", "陆晓霞"), ("莫言", "莫言"), ("车晓", "车晓"),
                                        ("段誉 13588889999", "段誉")])
async def test_a_bare_name_at_the_name_question_is_taken_whatever_the_intent(at, text, name, intent):
    chat = Booking()
    await _at_name_question(chat)
    await chat.say(text, intent)
    assert chat.active and chat.slots["appt_name"] == name


async def test_a_phone_in_pieces_at_the_name_question_is_no_name(at):
    chat = Booking()
    await _at_name_question(chat)
    await chat.say("一三八 零零零零 七七八八")
    assert chat.slots["appt_phone"] == "13800007788" and chat.slots.get("appt_name") is None
    assert chat.asking == "appt_name"
    await chat.say("车晓", "deny")
    assert chat.slots["appt_name"] == "车晓" and chat.asking == "appt_confirmed"


async def test_a_refused_name_is_explained_and_asked_again(at):
    chat = Booking()
    await _at_name_question(chat)
    reply = await chat.say("名字就不说了吧 跳过", "deny")
    assert chat.active and REAL_NAME in reply and chat.asking == "appt_name" and chat.slots["appt_item"]
    await chat.say("好吧 我叫钱多多")
    assert chat.slots["appt_name"] == "钱多多"


async def test_a_landline_at_the_name_question_asks_for_a_mobile_then_the_name(at):
    chat = Booking()
    await _at_name_question(chat)
    reply = await chat.say("0571-86001234")
    assert LANDLINE in reply and chat.asking == "appt_phone"
    await chat.say("哦要手机啊 13611223344")
    assert chat.slots["appt_phone"] == "13611223344" and chat.asking == "appt_name"
    await chat.say("莫言")
    assert chat.asking == "appt_confirmed" and chat.questions.count("appt_name") == 2


async def test_any_hour_at_the_name_question_keeps_the_form_going(at):
    chat = Booking()
    await _at_name_question(chat)
    hour = chat.slots["appt_hour"]
    reply = await chat.say("几点都行 你看着办")
    assert "没太明白" not in reply and chat.asking == "appt_name" and chat.slots["appt_hour"] == hour


async def test_any_hour_at_the_hour_question_takes_the_earliest(at):
    chat = Booking()
    await chat.say("后天去出入境办护照", "book_appointment")
    assert chat.asking == "appt_hour"
    await chat.say("几点都行")
    assert chat.slots["appt_hour"] == 9.0 and chat.asking == "appt_name"


@pytest.mark.parametrize("yes", ["确认", "对额 确认", "对额", "好的", "嗯"])
async def test_a_bare_yes_at_the_hour_question_takes_the_earliest_hour(at, yes):
    chat = Booking()
    await chat.say("后天去出入境办护照", "book_appointment")
    await chat.say(yes, "affirm")
    assert chat.slots["appt_hour"] == 9.0 and chat.asking == "appt_name"


@pytest.mark.parametrize("yes", ["确认", "对额", "好的"])
async def test_a_bare_yes_at_the_date_question_takes_the_earliest_day(at, yes):
    chat = Booking()
    await chat.say("去出入境办护照", "book_appointment")
    assert chat.asking == "appt_date"
    first = chat.slots["choice_options"][0]
    await chat.say(yes, "affirm")
    assert chat.slots["appt_date"] == first and chat.asking == "appt_hour"


@pytest.mark.parametrize("text", ["明天天气怎么样啊", "明天会下雨吗", "今天好冷啊"])
async def test_small_talk_at_the_name_question_changes_no_day(at, text):
    chat = Booking()
    await chat.say("周五上午东城办结婚登记", "book_appointment")
    day = chat.slots["appt_date"]
    await chat.say(text, "out_of_scope")
    await chat.say("哦那我叫秦朗 13600005353")
    assert chat.slots["appt_date"] == day and chat.asking == "appt_confirmed"


async def _at_read_back(text: str = "后天上午 东城 补办身份证 汤建平 13700334455") -> Booking:
    chat = Booking()
    await chat.say(text, "book_appointment")
    assert chat.asking == "appt_confirmed", chat.slots
    return chat


@pytest.mark.parametrize("text", ["哦不 上午有事 改下午", "上午不行，改成下午吧", "换到下午", "还是下午吧"])
async def test_morning_changed_to_afternoon_at_the_read_back_keeps_the_day(at, text):
    chat = await _at_read_back()
    day = chat.slots["appt_date"]
    await chat.say(text, "deny")
    assert chat.slots["appt_date"] == day and chat.slots["appt_hour"] >= 13 and chat.asking == "appt_confirmed"


@pytest.mark.parametrize("text", ["算了东城太远 还是去市民中心吧", "算了 换市民中心", "东城太远了，改去市民中心"])
async def test_a_change_of_hall_after_suanle_is_a_correction(at, text):
    chat = await _at_read_back()
    await chat.say(text, "deny")
    assert chat.active and chat.slots["appt_hall"] == "SMZX" and chat.asking == "appt_confirmed"


@pytest.mark.parametrize("text", ["今天好冷啊", "今天风好大 冷死了", "明天会下雨吗"])
async def test_small_talk_at_the_read_back_changes_nothing(at, text):
    chat = await _at_read_back()
    before = dict(chat.slots)
    await chat.say(text, "out_of_scope")
    assert all(chat.slots[s] == before[s] for s in ("appt_date", "appt_hour", "appt_hall", "appt_name"))


@pytest.mark.parametrize("text, intent", [("名字打错了 是陆小霞", "deny"), ("名字写错了，应该是陆小霞", "inform"),
                                          ("不对 我叫陆小霞", "deny")])
async def test_a_name_corrected_at_the_read_back(at, text, intent):
    chat = await _at_read_back("后天下午出入境办台湾通行证 陆晓霞 13655443322")
    await chat.say(text, intent)
    assert chat.slots["appt_name"] == "陆小霞" and chat.slots["appt_confirmed"] is None
    assert chat.asking == "appt_confirmed"


async def test_the_refusal_is_answered_before_the_way_out_check(client):
    tracker = make_tracker("名字就不说了吧 跳过", "deny", active_loop="appointment_form",
                           slots={"appt_item": "GA-0007", "requested_slot": "appt_name"})
    dispatcher = CollectingDispatcher()
    events = await ValidateAppointmentForm().run(dispatcher, tracker, FORM_DOMAIN)
    assert all(e.get("event") != "active_loop" for e in events) and "appt_name" in slot_events(events)
