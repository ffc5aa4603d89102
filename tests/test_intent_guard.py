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
