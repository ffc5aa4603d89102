"""办事指南 actions against the real portal."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.gov_api import GovApi, use_gov_api
from actions.guides import ActionAnswerGuide, asked_aspects, bring_line
from actions.handoff import ActionClarify, ActionOutOfScope
from actions.replies import ActionHandleReply
from tests.actions.conftest import DOMAIN, make_tracker, slot_events, texts

ITEM = {"entity": "service_item", "value": "身份证丢了"}


async def run_guide(tracker):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, tracker, DOMAIN)
    return texts(dispatcher), slot_events(events)


async def test_answers_materials_for_the_item_named(client):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("身份证丢了要带什么材料", "ask_guide", entities=[ITEM])
    slots = slot_events(await ActionAnswerGuide().run(dispatcher, tracker, DOMAIN))
    answer = [m["text"] for m in dispatcher.messages if "需带材料" in (m.get("text") or "")]
    assert len(answer) == 1, dispatcher.messages  # one whole message: the channel splits it for its platform
    assert "【居民身份证补领】" in answer[0] and "原件" in answer[0]
    assert slots["item_code"] == "GA-0003"


async def test_follow_up_keeps_the_item_in_context(client):
    reply, _ = await run_guide(make_tracker("那要多少钱", "ask_guide", slots={"item_code": "GA-0003"}))
    assert "居民身份证补领" in reply and "费用" in reply
    reply, _ = await run_guide(make_tracker("在哪办", "ask_guide", slots={"item_code": "GA-0003"}))
    assert "办理地点" in reply, reply
    assert "窗口" in reply or "区" in reply, reply


async def test_summary_says_visits_and_offers_booking(client):
    reply, slots = await run_guide(make_tracker("补办身份证", "ask_guide",
                                                entities=[{"entity": "service_item", "value": "补办身份证"}]))
    assert "需到现场1次" in reply or "跑" in reply
    assert "预约" in reply and slots["choice_kind"] == "offer_booking"


async def test_fully_online_item_says_zero_visits(client):
    reply, slots = await run_guide(make_tracker("个税汇算怎么弄", "ask_guide",
                                                entities=[{"entity": "service_item", "value": "个税汇算"}]))
    assert "个人所得税综合所得汇算清缴" in reply
    assert slots.get("choice_kind") != "offer_booking"


async def test_numbered_reply_picks_a_candidate(client):
    tracker = make_tracker("2", "inform", slots={"choice_kind": "item", "choice_options": ["GA-0002", "GA-0003"]})
    dispatcher = CollectingDispatcher()
    events = await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    assert "居民身份证补领" in texts(dispatcher)
    assert slot_events(events)["item_code"] == "GA-0003"


@pytest.mark.parametrize("text", ["88", "886", "8888", "88啦"])
async def test_chat_digits_for_bye_get_a_goodbye_not_a_choice(text):
    tracker = make_tracker(text, "inform", slots={"choice_kind": "item", "choice_options": ["GA-0002", "GA-0003"]})
    dispatcher = CollectingDispatcher()
    events = await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_goodbye"
    assert slot_events(events)["choice_kind"] is None


def test_aspects_are_recognised():
    assert asked_aspects("要带啥材料") == ["materials"]
    assert asked_aspects("多少钱，多久能拿到") == ["fee", "time_limit"]
    assert asked_aspects("网上能办不") == ["online"]


async def test_portal_down_gets_an_apology_and_a_human():
    use_gov_api(GovApi("http://127.0.0.1:9", timeout=0.5))
    reply, _ = await run_guide(make_tracker("身份证丢了", "ask_guide", entities=[ITEM]))
    assert "抱歉" in reply and "转人工" in reply


async def test_menu_click_asks_which_item(client):
    dispatcher = CollectingDispatcher()
    await ActionAnswerGuide().run(dispatcher, make_tracker("/ask_guide", "ask_guide"), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_ask_which_item"


# --- follow-ups, context, script (issue 10 point 9) ------------------------------------

async def code_of(client, name: str) -> str:
    hits = await client.search_guides(name, limit=1)
    assert hits[0]["name"] == name
    return hits[0]["code"]


@pytest.mark.parametrize("text, heading", [
    ("需要啥子材料", "需带材料"), ("要钱不", "费用"), ("收费不", "费用"), ("几点下班", "办公时间"),
    ("能代办吗", "能否代办"), ("在哪办", "办理地点"), ("多久能拿到", "办理时限"),
])
async def test_follow_up_without_a_name_stays_on_the_item_in_context(client, text, heading):
    code = await code_of(client, "企业设立登记")
    reply, slots = await run_guide(make_tracker(text, "ask_guide", slots={"item_code": code}))
    assert "【企业设立登记】" in reply and heading in reply
    assert slots["item_code"] == code


async def test_follow_up_uses_the_item_being_booked(client):
    code = await code_of(client, "普通护照补发")
    reply, _ = await run_guide(make_tracker("要带啥材料", "ask_guide", slots={"appt_item": code}))
    assert "【普通护照补发】" in reply and "需带材料" in reply


@pytest.mark.parametrize("text", ["需要啥子材料", "要钱不", "几点下班", "材料", "多久能拿到"])
async def test_follow_up_with_no_item_in_context_asks_which_item(client, text):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerGuide().run(dispatcher, make_tracker(text, "ask_guide"), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_ask_which_item" and events == []


async def test_no_context_uses_the_nlu_item_when_the_text_is_bare(client):
    reply, slots = await run_guide(make_tracker("要带啥材料", "ask_guide",
                                                entities=[{"entity": "service_item", "value": "营业执照"}]))
    assert "企业设立登记" in reply and "残疾人" not in reply  # 营业执照 fits a few items: it asks which
    assert slots.get("choice_kind") == "item"


@pytest.mark.parametrize("text, expected", [
    ("護照丟了怎麼補辦", "普通护照补发"), ("公基金怎么提取", "住房公积金提取"), ("身份證掉了", "居民身份证补领"),
])
async def test_traditional_and_homophones_reach_the_simplified_item(client, text, expected):
    reply, slots = await run_guide(make_tracker(text, "ask_guide"))
    assert f"【{expected}】" in reply
    assert slots["item_code"] == await code_of(client, expected)


async def test_a_new_item_named_replaces_the_context(client):
    old = await code_of(client, "企业设立登记")
    reply, _ = await run_guide(make_tracker("護照丟了怎麼補辦", "ask_guide", slots={"item_code": old}))
    assert "【普通护照补发】" in reply


@pytest.mark.parametrize("text, intent, heading", [
    ("要钱不", "deny", "费用"), ("收费不", "deny", "费用"), ("要钱不", "affirm", "费用"),
    ("几点下班", "inform", "办公时间"), ("能代办吗", "affirm", "能否代办"),
])
async def test_short_questions_read_as_yes_or_no_are_answered(client, text, intent, heading):
    code = await code_of(client, "居民身份证补领")
    tracker = make_tracker(text, intent, slots={"item_code": code, "choice_kind": "offer_booking",
                                                "choice_options": [code]})
    dispatcher = CollectingDispatcher()
    events = await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    reply = texts(dispatcher)
    assert heading in reply and "还有什么可以帮您" not in reply
    assert "appointment_form" not in str(events)


@pytest.mark.parametrize("text", ["不用了", "不要", "好的", "算了没时间"])
async def test_plain_no_is_still_a_no(client, text):
    code = await code_of(client, "居民身份证补领")
    tracker = make_tracker(text, "deny", slots={"item_code": code, "choice_kind": "offer_booking",
                                                "choice_options": [code]})
    dispatcher = CollectingDispatcher()
    await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == "好的。还有什么可以帮您？"


def test_aspects_read_traditional_text():
    assert asked_aspects("要帶甚麼材料") == ["materials"]
    assert asked_aspects("收費嗎") == ["fee"]


# --- catalog facts as they are ------------------------------------------------------------

async def test_materials_separate_what_to_bring_from_what_the_window_provides(client):
    reply, _ = await run_guide(make_tracker("身份证首次申领要带啥材料", "ask_guide",
                                            entities=[{"entity": "service_item", "value": "身份证首次申领"}]))
    bring, window = reply.split("现场提供/窗口打印（无需自带）：")
    assert "居民户口簿" in bring and "登记表" not in bring and "指纹" not in bring
    assert "登记表" in window and "指纹信息" in window
    assert "未满十六周岁的申请人另需：监护人居民身份证" in bring


async def test_legal_time_limit_keeps_its_unit(client):
    code = await code_of(client, "居民身份证补领")
    reply, _ = await run_guide(make_tracker("多久能拿到", "ask_guide", slots={"item_code": code}))
    assert "法定60日" in reply and "60个工作日" not in reply
    code = await code_of(client, "最低生活保障申请")
    reply, _ = await run_guide(make_tracker("多久能拿到", "ask_guide", slots={"item_code": code}))
    assert "法定30个工作日" in reply


async def test_summary_names_only_what_everyone_brings(client):
    reply, _ = await run_guide(make_tracker("办护照", "ask_guide",
                                            slots={"item_code": await code_of(client, "普通护照签发")}))
    need = next(line for line in reply.splitlines() if line.startswith("需带："))
    assert "居民身份证" in need and "申请表" not in need and "照片" not in need and "监护" not in need


def test_bring_line_lists_the_bring_list_and_its_conditions():
    booking = {"bring": [{"name": "居民户口簿", "form": "原件", "copies": 0},
                         {"name": "监护人居民身份证", "form": "原件", "copies": 0,
                          "applies_to": "未满十六周岁的申请人"}]}
    assert bring_line(booking) == "请带好：居民户口簿原件；未满十六周岁的申请人另需：监护人居民身份证原件"
    only_some = {"bring": booking["bring"][1:]}
    assert bring_line(only_some) == "请带好：未满十六周岁的申请人需：监护人居民身份证原件"
    assert bring_line({"bring": []}) == "无需自带材料"


async def test_bring_line_of_a_real_booking_leaves_out_the_window(client):
    guide = await client.guide(await code_of(client, "居民身份证补领"))
    line = bring_line({"bring": guide["bring"]})
    assert line.startswith("请带好：") and "指纹" not in line and "相片" not in line and "登记表" not in line
    assert "未满十六周岁的申请人另需：监护人居民身份证原件" in line or "未满十六周岁的申请人需" in line


PASSPORTS = {"choice_kind": "item", "choice_options": ["CRJ-0001", "CRJ-0002"]}


@pytest.mark.parametrize("text,said", [("要钱不", "120"), ("收费不", "120"), ("多少钱", "120"), ("几点下班", "17:00"),
                                       ("需要啥子材料", "需带材料"), ("在哪办", "办理地点"),
                                       ("多久能拿到", "办理时限")])
async def test_a_follow_up_to_a_list_of_items_is_answered_for_the_first(client, text, said):
    reply, slots = await run_guide(make_tracker(text, "ask_guide", slots=PASSPORTS))
    assert "普通护照签发" in reply and said in reply, reply
    assert slots["item_code"] == "CRJ-0001"


@pytest.mark.parametrize("text", ["要钱不", "几点下班"])
async def test_a_follow_up_read_as_a_short_reply_is_answered_for_the_first_of_the_list(client, text):
    dispatcher = CollectingDispatcher()
    await ActionHandleReply().run(dispatcher, make_tracker(text, "deny", slots=PASSPORTS), DOMAIN)
    assert "普通护照签发" in texts(dispatcher)


async def test_a_follow_up_without_any_item_still_asks_which(client):
    reply, _ = await run_guide(make_tracker("要钱不", "ask_guide"))
    assert "普通护照" not in reply


@pytest.mark.parametrize("text,name", [
    ("你好，我是农村的，今年五十多了，听说现在可以交那个养老保险，就是城乡居民的那个，我想问一下要到哪里去办，需要拿些什么东西过去，"
     "麻烦你告诉我一下，谢谢", "城乡居民基本养老保险"),
    ("我儿子今年要上小学了，听说现在要报名，我们也不知道去哪里报名，要带户口本吗", "义务教育入学登记"),
    ("公基金怎么提取", "住房公积金提取"),
    ("我们村里的人说城乡居民养老保险可以交了 在哪交啊", "城乡居民基本养老保险"),
])
async def test_an_unclear_message_plainly_about_one_item_gets_its_guide(client, text, name):
    dispatcher = CollectingDispatcher()
    events = await ActionClarify().run(dispatcher, make_tracker(text, "nlu_fallback"), DOMAIN)
    assert name in texts(dispatcher) and "没太明白" not in texts(dispatcher)
    assert slot_events(events)["item_code"]


@pytest.mark.parametrize("text", ["给张三打个电话", "放一首周杰伦的歌", "红烧肉怎么做", "帮我订个酒店", "明天北京天气"])
async def test_an_everyday_request_gets_what_the_account_does_and_12345_and_starts_nothing(client, text):
    dispatcher = CollectingDispatcher()
    events = await ActionOutOfScope().run(dispatcher, make_tracker(text, "out_of_scope"), DOMAIN)
    said = texts(dispatcher)
    assert "帮不上" in said and "1." in said and "12345" in said
    assert not [e for e in events if e.get("event") in ("followup", "active_loop")]
    assert slot_events(events)["choice_kind"] == "topic"


@pytest.mark.parametrize("text, follow", [("我要投诉窗口态度差", "complaint_form"), ("转人工", "action_handoff")])
async def test_an_out_of_scope_reading_still_follows_words_that_name_a_task(client, text, follow):
    events = await ActionOutOfScope().run(CollectingDispatcher(), make_tracker(text, "out_of_scope"), DOMAIN)
    assert [e["name"] for e in events if e.get("event") == "followup"] == [follow]


@pytest.mark.parametrize("text", ["今天天气怎么样", "你们吃饭了没", "哈哈哈", "帮我订张机票", "asdfgh"])
async def test_an_unclear_message_about_no_item_gets_the_topics(client, text):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, make_tracker(text, "nlu_fallback"), DOMAIN)
    assert "没太明白" in texts(dispatcher)


def _unsure(text: str, best: str) -> Tracker:
    """The NLU's reading when the FallbackClassifier rejected it: ``best`` first after nlu_fallback."""
    tracker = make_tracker(text, "nlu_fallback")
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45},
                                                {"name": best, "confidence": 0.72},
                                                {"name": "rate_service", "confidence": 0.69}]
    return tracker


@pytest.mark.parametrize("text", ["打个电话给我姐", "帮我叫辆出租车"])
async def test_an_unclear_message_best_read_as_out_of_scope_gets_the_out_of_scope_answer(client, text):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, _unsure(text, "out_of_scope"), DOMAIN)
    assert "12345" in texts(dispatcher) and "帮不上" in texts(dispatcher)


async def test_an_unclear_message_best_read_as_a_service_gets_the_topics(client):
    dispatcher = CollectingDispatcher()
    await ActionClarify().run(dispatcher, _unsure("嗯那个就是我想问一下", "ask_guide"), DOMAIN)
    assert "没太明白" in texts(dispatcher)


@pytest.mark.parametrize("text, everyday", [
    ("给同事发条消息说我堵车了", True), ("帮我跟老伴说一声我不回去吃饭", True),
    ("张三", False), ("东城那个", False), ("明天下午", False), ("第二个", False), ("我叫李秀英", False),
    ("13812345678", False), ("哦", False), ("护照", False),
])
async def test_a_request_read_as_a_bare_value_outside_a_form_gets_the_out_of_scope_answer(client, text, everyday):
    """Outside a form, an inform that carries no value is an everyday request; a value is not."""
    dispatcher = CollectingDispatcher()
    await ActionHandleReply().run(dispatcher, make_tracker(text, "inform"), DOMAIN)
    assert ("12345" in texts(dispatcher)) is everyday


async def test_a_value_the_nlu_found_is_not_an_everyday_request(client):
    tracker = make_tracker("就是那个驾照到期的事情", "inform",
                           entities=[{"entity": "service_item", "value": "驾照到期"}])
    dispatcher = CollectingDispatcher()
    await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    assert "12345" not in texts(dispatcher)
