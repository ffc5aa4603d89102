"""The booking read-back: yes and no as citizens say them (negations that name the action are a
no), corrections there, and the words of the form's defaults (booking_facts)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ValidateAppointmentForm, said_name
from actions.booking_facts import doesnt_mind_hall, hall_named, may_name_item, settle_candidates, wants_other_hall
from tests.actions.booking_driver import FORM_DOMAIN
from tests.actions.conftest import make_tracker, slot_events

READ_BACK = {"appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": "2026-11-26", "appt_hour": 9.0,
             "appt_name": "王小明", "appt_phone": "13812345678", "requested_slot": "appt_confirmed"}
YES = ["对", "确认", "好的", "没问题", "可以约吧", "确定", "是的", "嗯", "行", "可以", "对的，就这样约", "确认预约",
       "好的提交吧", "没错", "1", "ok", "嗯嗯", "就这么约", "提交"]
NO = ["先不约", "我再想想", "不提交", "还是算了", "不约了", "算了", "先不约了吧", "再考虑一下", "等等", "不用了",
      "别约了", "取消", "不要", "2", "先别提交", "我考虑考虑", "暂时不约了"]


async def answer(text: str, intent: str = "inform"):
    tracker = make_tracker(text, intent, slots=dict(READ_BACK), active_loop="appointment_form")
    dispatcher = CollectingDispatcher()
    tracker.slots.update({"choice_kind": "appt_confirmed", "choice_options": [True, False]})
    events = await ValidateAppointmentForm().run(dispatcher, tracker, FORM_DOMAIN)
    return slot_events(events), [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize("text", YES)
async def test_yes_at_the_read_back(client, text):
    slots, _ = await answer(text)
    assert slots.get("appt_confirmed") is True


@pytest.mark.parametrize("text", NO)
async def test_no_at_the_read_back_books_nothing(client, text):
    slots, responses = await answer(text)
    stopped = "utter_booking_stopped" in responses and slots.get("appt_item", "kept") is None
    assert slots.get("appt_confirmed") is False or stopped


async def test_a_correction_at_the_read_back_is_not_a_yes(client):
    slots, _ = await answer("对，电话换成13912345678")
    assert slots["appt_phone"] == "13912345678" and slots.get("appt_confirmed") is None


@pytest.mark.parametrize("text, code", [("我想办护照", "CRJ-0001"), ("护照到期了要换", "CRJ-0001"),
                                        ("护照丢了", "CRJ-0002"), ("补办护照", "CRJ-0002"), ("护照遗失了", "CRJ-0002")])
def test_passport_words_fit_one_item(text, code):
    assert settle_candidates(text, ["CRJ-0001", "CRJ-0002"]) == code


def test_other_close_items_are_asked():
    assert settle_candidates("身份证", ["GA-0001", "GA-0003"]) is None


HALLS = [{"code": "SMZX", "name": "江州市民中心政务服务大厅"}, {"code": "DCQ", "name": "江州市东城区政务服务中心"}]


@pytest.mark.parametrize("text, code", [("去东城", "DCQ"), ("市民中心吧", "SMZX"), ("江州市东城区政务服务中心", "DCQ"),
                                        ("出入境", None), ("随便", None)])
def test_hall_named(text, code):
    assert hall_named(text, HALLS) == code


@pytest.mark.parametrize("text, minds", [("随便", True), ("哪个都行", True), ("最近的", True), ("都可以", True),
                                         ("东城", False), ("明天下午", False)])
def test_doesnt_mind(text, minds):
    assert doesnt_mind_hall(text) is minds


def test_other_hall_and_item_corrections():
    assert wants_other_hall("换个大厅") and not wants_other_hall("换成周四下午")
    assert may_name_item("弄错了，我是要办居住证", item_known=True)
    assert not may_name_item("不对，换成周四下午", item_known=True)
    assert not may_name_item("好了吗", item_known=True)
    assert not may_name_item("我想预约", item_known=False) and may_name_item("法律援助", False, asked=True)
    assert may_name_item("预约补办身份证", item_known=False)


@pytest.mark.parametrize("text, asked, name", [("王小明", True, "王小明"),
                                               ("我叫李秀英，电话13812345678", False, "李秀英"),
                                               ("王小明 13812345678", False, "王小明"),
                                               ("名字错了，是王小红", False, "王小红"),
                                               ("好了吗", False, None), ("我是要办居住证", False, None)])
def test_names_in_any_message(text, asked, name):
    assert said_name(text, asked) == name
