"""A message that gives a mobile number is never small talk (govbot/intent_guard.py): 潘永红
13788881212 read as goodbye must not be answered 再见."""
from __future__ import annotations

import pytest

from govbot import intent_guard


@pytest.mark.parametrize("intent", intent_guard.SMALL_TALK)
@pytest.mark.parametrize("text", ["潘永红 13788881212", "我叫任平 13744448888", "好吧 阮晴 13877776666",
                                  "手机一五九三三三三六六六六", "在吗 我的电话是138-0000-1111"])
def test_small_talk_with_a_mobile_number_is_inform(intent, text):
    parsed = intent_guard.guard({"text": text, "intent": {"name": intent, "confidence": 0.6}})
    assert parsed["intent"] == {"name": "inform", "confidence": 0.6}


@pytest.mark.parametrize("text, intent", [("再见", "goodbye"), ("88", "goodbye"), ("谢谢 12345", "thank"),
                                          ("我叫任平 13744448888", "book_appointment"),
                                          ("投诉 13812345678", "complain")])
def test_everything_else_keeps_its_intent(text, intent):
    assert intent_guard.guard({"text": text, "intent": {"name": intent}})["intent"]["name"] == intent


async def test_installed_once_on_the_step_every_message_passes_before_the_policies():
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.parse_message

    async def parse(self, message, tracker=None, only_output_properties=True):
        return {"text": message, "intent": {"name": "goodbye", "confidence": 0.9}, "entities": []}

    try:
        MessageProcessor.parse_message = parse
        intent_guard.install()
        installed = MessageProcessor.parse_message
        intent_guard.install()
        assert MessageProcessor.parse_message is installed and installed is not parse
        parsed = await installed(None, "潘永红 13788881212")
        assert parsed["intent"]["name"] == "inform"
    finally:
        MessageProcessor.parse_message = original


@pytest.mark.parametrize("text, read, meant", [
    ("退了吧 YY2026120512345678", "inform", "cancel_appointment"),
    ("麻烦帮我退号 手机号139 1234 5678", "inform", "cancel_appointment"),
    ("SQ20261101000045 咋还没动静 电话13912345678", "inform", "check_status"),
    ("身份证11010519491231002X 我的低保批了没", "inform", "check_status"),
    ("电话13912345678 我约上了没有", "goodbye", "query_appointment"),
    ("我那个预约 YY2026120512345678 是下午的吧", "cancel_appointment", "query_appointment"),
    ("取个后天的号 电话13912345678", "inform", "book_appointment"),
])
def test_outside_a_form_a_number_with_a_purpose_gets_the_purpose(text, read, meant):
    assert intent_guard.guard({"text": text, "intent": {"name": read}})["intent"]["name"] == meant


@pytest.mark.parametrize("text", ["SQ20261101000045 13912345678", "预约号是YY2026120512345678", "YY2026120512345678",
                                  "受理号SQ20261101000045 尾号5678", "明天上午 13912345678"])
def test_bare_values_stay_inform(text):
    assert intent_guard.guard({"text": text, "intent": {"name": "inform"}})["intent"]["name"] == "inform"


def test_inside_a_form_the_form_reads_the_purpose_itself():
    parsed = intent_guard.guard({"text": "退掉 YY2026120512345678", "intent": {"name": "inform"}}, in_form=True)
    assert parsed["intent"]["name"] == "inform"


@pytest.mark.parametrize("text", ["李国华", "欧阳晓峰"])
def test_a_bare_name_is_a_value(text):
    assert intent_guard.guard({"text": text, "intent": {"name": "out_of_scope"}})["intent"]["name"] == "inform"


@pytest.mark.parametrize("text", ["88", "886", "88啦", "886~", "拜88", " 88！"])
@pytest.mark.parametrize("read", ["inform", "greet", "goodbye"])
def test_chat_slang_goodbye_outside_a_form(text, read):
    assert intent_guard.guard({"text": text, "intent": {"name": read}})["intent"]["name"] == "goodbye"


@pytest.mark.parametrize("text", ["8888", "886号", "188", "88 我叫王芳"])
def test_longer_numbers_are_no_chat_goodbye(text):
    assert intent_guard.guard({"text": text, "intent": {"name": "inform"}})["intent"]["name"] == "inform"


def test_inside_a_form_88_is_the_forms_to_judge():
    assert intent_guard.guard({"text": "88", "intent": {"name": "inform"}}, in_form=True)["intent"]["name"] == "inform"
