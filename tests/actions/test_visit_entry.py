"""How a booking starts outside a form (actions/visit.py): a message that plans a visit books,
whatever the NLU called it; the offer to book after a guide answer is taken by a yes in dialect
or by the booking's facts, also after a side question; a phone number is never small talk
(tests/test_intent_guard.py); the item's variant is read from the words (补领 / 换领, 申领 / 补换)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_facts import same_family, tells_variant, variant_named
from actions.gov_api import GovApi, use_gov_api
from actions.guides import ActionAnswerGuide
from actions.handoff import ActionClarify
from actions.replies import ActionHandleReply
from actions.task_words import wants_booking
from actions.visit import answers_offer, plans_visit
from govbot.clock import CHINA_TZ
from portal.app import init_app
from portal.settings import PortalSettings
from tests.actions.booking_driver import Booking
from tests.actions.conftest import BOT_KEY, DOMAIN, make_tracker, slot_events, texts

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=CHINA_TZ)  # a Tuesday
OFFER = {"choice_kind": "offer_booking", "choice_options": ["CRJ-0003"], "item_code": "CRJ-0003"}

PLANS = ["这周五下午三点去出入境办港澳通行证", "想周五下午去公积金中心办公积金贷款 能约吗",
         "驾照弄丢了 周四下午去车管所补 帮我约中不中", "户口本丢了 后天上午去补 哪个大厅都行",
         "身份证过期了，周四下午去换，最近的大厅就行", "下周一上午去车管所办驾照", "周五下午去车管所换驾照",
         "周四下午东城办户口迁入", "周五上午出入境办台湾通行证",
         "后天下午车管所驾照到期换正 手机一五八零零零零五五六六",
         "我明天下午想去东城那边办个居住证嘛，要得不，电话一三六零零零零七八七八",
         "后天上午俺俩想去市民中心领证 咋整啊 帮俺约一个", "阿拉明朝下半天想去出入境办港澳通行证，侬帮我约一记",
         "明早去市民中心办社保卡", "下礼拜三上午去东城补个身份证", "周四上午车管所年检", "明天上午10点去办护照",
         "後天下午去出入境辦護照", "下午三点去市民中心办居住证", "大后天上午去公积金中心提取公积金"]
NOT_PLANS = ["周六上班吗", "车管所周六开门不", "出入境几点下班", "明天市民中心开门吗", "周末营业吗",
             "昨天办的护照好了没", "上周五交的材料怎么还没下来", "身份证要带什么", "补办身份证多少钱",
             "明天下午", "周四下午有空", "我叫王小明 13812345678", "查一下SQ20261118000123的进度",
             "上周一去车管所办驾照", "周六能办护照吗", "这周日车管所开不开", "星期六可以补身份证不"]


@pytest.mark.parametrize("text", PLANS)
def test_a_day_or_part_of_day_with_a_service_or_hall_plans_a_visit(text):
    assert plans_visit(text, NOW)


@pytest.mark.parametrize("text", NOT_PLANS)
def test_opening_hours_status_questions_and_bare_times_plan_no_visit(text):
    assert not plans_visit(text, NOW)


@pytest.mark.parametrize("text", ["13912340000 我要预约", "帮我约一个", "想挂个号", "给我约下"])
def test_words_that_ask_for_a_booking(text):
    assert wants_booking(text)


@pytest.mark.parametrize("text", ["大约要多久", "我约的是哪天", "不约了", "取消预约", "我的预约还在吗", "约了吗"])
def test_words_about_bookings_made_undone_or_about_time_ask_for_none(text):
    assert not wants_booking(text)


def _followup(events: List[Dict[str, Any]]) -> Optional[str]:
    return next((e["name"] for e in events if e.get("event") == "followup"), None)


@pytest.mark.parametrize("text", PLANS[:8])
async def test_a_planned_visit_read_as_a_guide_question_starts_the_booking(client, text):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, make_tracker(text, "ask_guide"), DOMAIN)
    assert _followup(events) == "appointment_form"
    assert "需要帮您预约" not in texts(dispatcher)


async def test_a_planned_visit_with_a_question_answers_it_then_books(client):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, make_tracker("明天上午去出入境办护照 要带什么材料", "ask_guide"),
                                           DOMAIN)
    assert "需带材料" in texts(dispatcher) and _followup(events) == "appointment_form"


async def test_inside_a_form_a_planned_visit_is_answered_as_a_question(client):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("周五下午去车管所换驾照 要带啥", "ask_guide", active_loop="appointment_form")
    events = await ActionAnswerGuide().run(dispatcher, tracker, DOMAIN)
    assert _followup(events) is None and "驾驶证" in texts(dispatcher)


async def test_opening_hours_question_with_a_day_is_still_answered(client):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, make_tracker("车管所周六上班吗", "ask_guide"), DOMAIN)
    assert _followup(events) is None


@pytest.mark.parametrize("text", ["我明天下午想去东城那边办个居住证嘛，要得不，电话一三六零零零零七八七八",
                                  "后天俺想去出入境整个护照"])
async def test_a_planned_visit_the_nlu_did_not_understand_starts_the_booking(client, text):
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, make_tracker(text, "nlu_fallback"), DOMAIN)
    assert _followup(events) == "appointment_form" and not texts(dispatcher)


# --- the offer to book after a guide answer ------------------------------------------------------

FACTS = ["周敏，13700007777", "罗志勇 18600004545", "中 我叫牛建军 手机号一五九三三三三六六六六", "电话13600121212",
         "潘永红 13788881212", "那我自己去 康敏 13855557777", "哦 我叫高远 13911113131", "行吧 我叫甘露 13400006060",
         "我叫任平 13744448888", "明天下午 去市民中心", "姓名黎明辉", "后天上午", "去东城那个"]
YES = ["好", "可以", "要得", "中", "对", "确认", "是", "行", "嗯", "好的", "妥了", "好嘞", "可以的", "帮我约"]
NO = ["不用了", "不约了", "先不约", "算了不用"]


async def _reply(text: str, intent: str = "inform", slots: Optional[Dict[str, Any]] = None,
                 events: Optional[List[Dict[str, Any]]] = None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, slots=dict(OFFER) if slots is None else slots, events=events)
    result = await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    return result, texts(dispatcher)


@pytest.mark.parametrize("text", FACTS + YES)
async def test_the_offer_is_taken_by_the_booking_facts_or_a_yes_in_dialect(client, text):
    events, said = await _reply(text)
    assert _followup(events) == "appointment_form", said
    assert slot_events(events)["appt_item"] == "CRJ-0003" and "再见" not in said


@pytest.mark.parametrize("text", NO)
async def test_a_no_closes_the_offer(client, text):
    events, said = await _reply(text, "deny")
    assert _followup(events) is None and "还有什么可以帮您" in said


@pytest.mark.parametrize("text", ["龚建 15866660000", "哦 我叫高远 13911113131"])
async def test_the_offer_stays_open_across_a_side_question(client, text):
    side = [{"event": "action", "name": "action_answer_guide"}, {"event": "user", "text": "几点下班"},
            {"event": "action", "name": "utter_iamabot"}, {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text}]
    events, _ = await _reply(text, events=side)
    assert _followup(events) == "appointment_form"


@pytest.mark.parametrize("text", ["我叫任平 13744448888", "潘永红 13788881212", "明天上午去东城"])
async def test_after_the_welcome_menu_facts_still_take_the_offer(client, text):
    greeted = [{"event": "action", "name": "utter_greet"}, {"event": "action", "name": "action_listen"},
               {"event": "user", "text": text}]
    events, _ = await _reply(text, events=greeted)
    assert _followup(events) == "appointment_form" and slot_events(events)["appt_item"] == "CRJ-0003"


async def test_after_the_welcome_menu_a_number_picks_a_topic_not_the_offer(client):
    greeted = [{"event": "action", "name": "utter_greet"}, {"event": "action", "name": "action_listen"},
               {"event": "user", "text": "3"}]
    events, _ = await _reply("3", events=greeted)
    assert _followup(events) == "status_form"


async def test_a_reply_naming_another_service_is_searched_by_the_form(client):
    events, _ = await _reply("明天下午去东城办居住证")
    assert _followup(events) == "appointment_form" and "appt_item" not in slot_events(events)


async def test_a_phone_with_a_booking_word_starts_the_booking_without_an_offer(client):
    events, said = await _reply("13912340000 我要预约", slots={})
    assert _followup(events) == "appointment_form", said


@pytest.mark.parametrize("text", ["中 我叫牛建军 手机号一五九三三三三六六六六", "蔡文姬 13500001111"])
async def test_a_phone_after_a_guide_answer_without_an_offer_books_that_item(client, text):
    events, said = await _reply(text, slots={"item_code": "JJ-0002"})
    assert _followup(events) == "appointment_form", said


async def test_a_phone_with_nothing_in_context_is_not_a_booking(client):
    events, said = await _reply("13500001111", slots={})
    assert _followup(events) is None and said


@pytest.mark.parametrize("text", ["这个护照要多久", "谢谢"])
def test_neither_yes_nor_facts_leave_the_offer_unanswered(text):
    assert answers_offer(text, "inform") is None


# --- which variant of a document -----------------------------------------------------------------

@pytest.mark.parametrize("text", ["丢了 要补办", "卡坏了 换一张", "到期了要换", "过期了", "第一次办", "被偷了",
                                  "找不到了", "要换一本新的"])
def test_words_that_tell_variants_apart(text):
    assert tells_variant(text)


@pytest.mark.parametrize("text", ["换到周四下午", "换个大厅", "换成下午", "换一下时间", "好的", "补充一下"])
def test_moving_the_booking_is_not_a_variant(text):
    assert not tells_variant(text)


def test_variants_are_items_whose_names_start_alike():
    assert same_family("社会保障卡申领", "社会保障卡补换") and same_family("机动车驾驶证补证", "机动车驾驶证期满换证")
    assert (not same_family("往来港澳通行证及签注签发", "普通护照签发")
            and not same_family("居民身份证换领", "居民户口簿补领"))


def test_the_variant_named_settles_close_candidates():
    cards = [{"code": "RS-0002", "name": "社会保障卡补换"}, {"code": "RS-0001", "name": "社会保障卡申领"}]
    assert variant_named("后天下午市民中心办社保卡补换", cards) == "RS-0002"
    assert variant_named("约个社保卡", cards) is None


@pytest.fixture
async def booking(aiohttp_server, sqlite_url, clock):
    """The booking form against a portal on the same fixed China clock (a Wednesday, 10:00)."""
    clock.now = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA_TZ)
    app = init_app(PortalSettings(database_url=sqlite_url, api_key=BOT_KEY, admin_key="k-admin", now=clock))
    server = await aiohttp_server(app)
    portal = GovApi(str(server.make_url("")).rstrip("/"), BOT_KEY)
    use_gov_api(portal)
    yield Booking()
    await portal.close()


async def test_lost_picks_the_replacement_from_the_list_of_id_card_items(booking):
    await booking.say("我想约身份证", "book_appointment")
    assert booking.asking == "appt_item" and booking.slots["choice_options"]
    await booking.say("丢了 要补办")
    assert booking.slots["appt_item"] == "GA-0003"


@pytest.mark.parametrize("text", ["第一次办", "以前没办过 新办", "过期了 换一张"])
async def test_other_variants_are_picked_from_the_list(booking, text):
    await booking.say("我想约身份证", "book_appointment")
    await booking.say(text)
    assert booking.slots["appt_item"] == ("GA-0001" if "办" in text and "换" not in text else "GA-0002")


@pytest.mark.parametrize("text", ["俺叫于海洋，手机13844449090", "王小明", "13812345678"])
async def test_a_name_or_phone_at_the_list_keeps_the_list(booking, text):
    await booking.say("我想约身份证", "book_appointment")
    await booking.say(text)
    assert booking.slots.get("appt_item") is None and booking.slots["choice_kind"] == "appt_item"


async def test_getting_a_marriage_certificate_is_marriage_registration(booking):
    await booking.say("后天上午俺俩想去市民中心领证 咋整啊 帮俺约一个", "book_appointment")
    assert booking.slots["appt_item"] == "MZ-0001" and booking.slots["appt_hall"] == "SMZX"
    await booking.say("俺叫于海洋，手机13844449090")
    assert booking.slots["appt_item"] == "MZ-0001" and booking.asking == "appt_confirmed"


@pytest.mark.parametrize("first, text, variant", [
    ("约个社保卡的号 周五下午东城", "卡坏了 换一张", "RS-0002"),
    ("约个社保卡的号 周五下午东城", "原来那张丢了", "RS-0002"),
    ("周五上午去车管所办驾照", "到期了要换", "JJ-0001"),
    ("周五上午去车管所办驾照", "驾照快过期了", "JJ-0001"),
])
async def test_the_variant_said_at_a_later_question_replaces_the_item(booking, first, text, variant):
    await booking.say(first, "book_appointment")
    assert booking.asking == "appt_name"
    await booking.say(text)
    assert booking.slots["appt_item"] == variant


@pytest.mark.parametrize("text", ["换到周四下午", "换个大厅", "王小明", "补充一下 电话13812345678"])
async def test_other_changes_keep_the_item(booking, text):
    await booking.say("周五上午去车管所补驾照", "book_appointment")
    item = booking.slots["appt_item"]
    await booking.say(text)
    assert booking.slots["appt_item"] == item


async def test_a_guide_follow_up_asking_for_a_variant_answers_that_variant(client):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("到期了要换", "ask_guide", slots={"item_code": "JJ-0002"})
    events = await ActionAnswerGuide().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["item_code"] == "JJ-0001" and "期满换证" in texts(dispatcher)


@pytest.mark.parametrize("text", ["那就明天吧", "下周三上午可以吗", "后天下午两点半", "明天上午 我叫王芳"])
async def test_a_day_given_unprompted_is_the_day_of_a_visit(client, text):
    events, said = await _reply(text, slots={})
    assert _followup(events) == "appointment_form", said


@pytest.mark.parametrize("text", ["明天上海天气咋样 要带伞不", "明天北京天气", "后天的电影票还有吗"])
async def test_a_day_in_an_everyday_question_starts_no_booking(client, text):
    events, said = await _reply(text, slots={})
    assert _followup(events) is None, said
