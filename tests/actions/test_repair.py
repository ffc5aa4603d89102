"""The words that leave a form's happy path (a person, a repeat, a way out) and how often a
question was asked in a row, as citizens type them: colloquial, traditional characters, typos,
dialect, full-width letters. Each list has its look-alikes that must NOT be read so."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from actions.repair import (
    is_repair_turn,
    last_bot_turn,
    plain,
    times_asked_in_a_row,
    wants_human,
    wants_out,
    wants_repeat,
)
from tests.actions.conftest import make_tracker

HUMAN = ["转人工", "轉人工", "直接给我转人工客服吧", "人工", "人工客服", "人工服務", "我要人工", "找人工",
         "给我找个真人", "叫你们领导来", "找你们领导", "我要找你們領導", "叫你们负责人出来", "换个人工",
         "请转接人工", "转接人工服务", "我要跟工作人员说", "跟真人聊", "不想跟机器人说", "不要机器人",
         "有没有人工", "人工在吗", "人工呢？", "真人客服呢", "我要工作人员处理", "让客服来", "喊个人工来",
         "联系你们工作人员", "转 人 工", "转人工！！", "找管事的", "叫你们主任来"]
NOT_HUMAN = ["补办身份证要带什么", "我要投诉窗口态度差", "工作人员态度很差", "人工费多少钱", "我想预约明天上午",
             "13912345678", "王小明", "是的", "不对", "机器人能办理吗", "人口普查在哪办"]
REPEAT = ["再说一遍", "再說一遍", "再讲一遍", "再发一次", "重新说一下", "重复一下", "刚才说啥", "刚才你说的啥",
          "你说什么", "没看清", "没看懂", "没听清楚", "看不清", "啥？", "什么？？", "蛤？", "再说一次吧",
          "麻烦再说一遍", "没看到，再发一遍", "啥?"]
NOT_REPEAT = ["什么材料", "要带什么", "啥时候能办好", "再预约一个", "重新预约", "我再想想", "看看进度",
              "说一下身份证怎么办", "什么", "再见"]
OUT = ["算了", "算了吧", "那算了", "那就算了", "唉算了", "好吧算了", "不约了", "那就不约了吧", "先不约了",
       "先不办了", "不办了", "暂时不办了", "不用了", "不查了", "我不想查了", "不投诉了", "算了不投诉了",
       "改天再说", "下次再说", "以后再说", "回头再说", "改天再约", "退出", "结束", "不弄了", "没事了", "先这样吧",
       "還是不約了", "不辦了", "甭约了"]
NOT_OUT = ["不对，是周四", "不是这个", "算一下多少钱", "不用带户口本吗", "约明天", "不取消了", "我要取消预约",
           "不知道", "没有", "不满意", "13912345678"]


@pytest.mark.parametrize("text", HUMAN)
def test_a_person_in_any_words(text):
    assert wants_human(text)


@pytest.mark.parametrize("text", NOT_HUMAN)
def test_not_a_person(text):
    assert not wants_human(text)


@pytest.mark.parametrize("text", REPEAT)
def test_a_repeat_in_any_words(text):
    assert wants_repeat(text)


@pytest.mark.parametrize("text", NOT_REPEAT)
def test_not_a_repeat(text):
    assert not wants_repeat(text)


@pytest.mark.parametrize("text", OUT)
def test_a_way_out_in_any_words(text):
    assert wants_out(text)


@pytest.mark.parametrize("text", NOT_OUT)
def test_not_a_way_out(text):
    assert not wants_out(text)


def test_text_is_read_simplified_half_width_without_spaces_or_trailing_particles():
    assert plain("轉 人 工吧！") == "转人工"
    assert plain("ＡＢＣ１２３") == "ABC123"


# --- asks in a row ------------------------------------------------------------------------------

def user(text: str, intent: str = "inform") -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def ask(slot: Optional[str], *said: str, action: str = "appointment_form") -> List[Dict[str, Any]]:
    """One bot turn: the form ran, set requested_slot and asked."""
    return ([{"event": "action", "name": action}, {"event": "slot", "name": "requested_slot", "value": slot}]
            + [{"event": "bot", "text": text} for text in said] + [{"event": "action", "name": "action_listen"}])


def tracker_of(*events: List[Dict[str, Any]], latest: str = "…") -> Any:
    flat = [e for chunk in events for e in chunk] + [user(latest)]
    return make_tracker(latest, events=flat)


def test_a_question_asked_once_then_twice_counts_one_then_two():
    assert times_asked_in_a_row(tracker_of([user("约")], ask("appt_hall", "哪个大厅？")), "appt_hall") == 1
    twice = tracker_of([user("约")], ask("appt_hall", "哪个大厅？"), [user("嗯")], ask("appt_hall", "哪个大厅？"))
    assert times_asked_in_a_row(twice, "appt_hall") == 2
    assert times_asked_in_a_row(twice, "appt_date") == 0


def test_another_question_in_between_ends_the_run():
    events = tracker_of([user("约")], ask("appt_hall", "哪个？"), [user("市民中心")], ask("appt_date", "哪天？"),
                        [user("随便")], ask("appt_hall", "哪个？"))
    assert times_asked_in_a_row(events, "appt_hall") == 1


def test_a_turn_outside_any_form_ends_the_run():
    events = tracker_of([user("约")], ask("appt_hall", "哪个？"),
                        [user("你好"), {"event": "action", "name": "utter_greet"}, {"event": "bot", "text": "您好"}])
    assert times_asked_in_a_row(events, "appt_hall") == 0


def test_re_asks_after_a_repeat_a_side_question_or_a_failure_are_not_counted_and_do_not_break_the_run():
    side = [user("你是机器人吗", "bot_challenge"), {"event": "action", "name": "appointment_form"},
            {"event": "action", "name": "action_form_interruption"}, {"event": "bot", "text": "我是智能助手"},
            *ask("appt_hall", "哪个大厅？")]
    failure = [user("市民中心"), {"event": "action", "name": "appointment_form"},
               {"event": "bot", "text": "抱歉，政务服务系统暂时没有响应，请稍后再试。"},
               {"event": "slot", "name": "requested_slot", "value": "appt_hall"}]
    events = tracker_of([user("约")], ask("appt_hall", "哪个大厅？"), side, [user("再说一遍")],
                        ask("appt_hall", "哪个大厅？"), failure)
    assert times_asked_in_a_row(events, "appt_hall") == 1


def test_the_current_turn_is_never_counted():
    current = tracker_of([user("约")], ask("appt_hall", "哪个？"), latest="嗯")
    current.events.append({"event": "slot", "name": "requested_slot", "value": "appt_hall"})  # the form asks now
    assert times_asked_in_a_row(current, "appt_hall") == 1


def test_a_repair_turn_is_known_while_it_runs():
    assert is_repair_turn(tracker_of([user("约")], ask("appt_hall", "哪个？"), latest="再說一遍"))
    assert not is_repair_turn(tracker_of([user("约")], ask("appt_hall", "哪个？"), latest="市民中心"))


def test_the_last_bot_turn_comes_in_groups_with_the_question_last():
    said = [user("周六上午"), {"event": "action", "name": "appointment_form"},
            {"event": "bot", "text": "周六不是工作日。"}, {"event": "slot", "name": "appt_date", "value": None},
            {"event": "slot", "name": "requested_slot", "value": "appt_date"},
            {"event": "action", "name": "action_ask_appt_date"}, {"event": "bot", "text": "可约的日期：\n1. 周一"},
            {"event": "bot", "text": "请回复序号。"}, {"event": "action", "name": "action_listen"}]
    groups = last_bot_turn(tracker_of([user("约")], ask("appt_item", "办什么？"), said, latest="再说一遍"))
    assert [[m["text"] for m in g] for g in groups] == [["周六不是工作日。"], ["可约的日期：\n1. 周一", "请回复序号。"]]
    assert last_bot_turn(make_tracker("再说一遍", events=[user("再说一遍")])) == []


def test_a_message_the_form_did_not_understand_counts_its_re_ask():
    unclear = [user("嗯嗯嗯", "nlu_fallback"), {"event": "action", "name": "appointment_form"},
               {"event": "action", "name": "action_form_interruption"},
               {"event": "bot", "text": "抱歉，没太明白您的回答。"}, *ask("appt_hall", "哪个大厅？")]
    events = tracker_of([user("约")], ask("appt_hall", "哪个大厅？"), unclear)
    assert times_asked_in_a_row(events, "appt_hall") == 2
