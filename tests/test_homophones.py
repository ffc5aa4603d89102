"""Homophone typos of the catalog's words are read as the words before NLU (公基金 is 公积金); the
conversation keeps what the citizen typed, and right words, function words and names stay as they are."""
from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor

from govbot import homophones
from govbot.homophones import Homophones, catalog_homophones

CORRECTED = [("公基金怎么提取", "公积金怎么提取"), ("公鸡金提取", "公积金提取"), ("公基金收费不", "公积金收费不"),
             ("身分证掉了咋补啊", "身份证掉了咋补啊"), ("我要预约 身分证过期了要换", "我要预约 身份证过期了要换"),
             ("临时身分证收费不", "临时身份证收费不"), ("架驶证到期了", "驾驶证到期了"),
             ("居住正多久能拿到", "居住证多久能拿到"), ("十岁小孩办身分证要本人去吗", "十岁小孩办身份证要本人去吗")]
UNCHANGED = ["公积金怎么提取", "我约的护照不办了 取消掉", "户口不在本市 居民身份证换领能异地办吗", "要带身份证不",
             "户口迁入登记可以在网上申请不", "这几天天气怎么样啊", "往来台湾通行证几天出证", "公积金提现怎么操作",
             "要户口本不", "王小明 13900001111", "张伟明天下午三点", "我叫李世民",
             "车管所门口有黄牛拉人 说交钱就能插队",
             "帮我重新约周五上午", "哪个基金收益高", "結婚登記要帶什麼", "/ask_guide", ""]


@pytest.mark.parametrize("typed,read", CORRECTED)
def test_a_homophone_of_a_catalog_word_is_read_as_the_word(typed, read):
    assert catalog_homophones().correct(typed) == read


@pytest.mark.parametrize("text", UNCHANGED)
def test_right_words_function_words_and_names_are_left_alone(text):
    assert catalog_homophones().correct(text) == text


def test_the_spelling_most_entries_use_wins_and_an_even_split_corrects_nothing():
    table = Homophones(["公积金提取", "住房公积金", "公积金贷款", "公基金提取", "林业局", "临业局"])
    assert table.correct("公基金咋取") == "公积金咋取"
    assert table.correct("临业局在哪") == "临业局在哪"


async def test_the_parse_reads_the_corrected_text_and_the_conversation_keeps_the_typed_one(monkeypatch):
    seen = []

    async def parse(self, message, tracker=None, *args, **kwargs):
        seen.append(message.text)
        return {"text": message.text, "intent": {"name": "ask_guide"}, "entities": []}

    monkeypatch.setattr(MessageProcessor, "parse_message", parse)
    homophones.install(catalog_homophones())
    homophones.install(catalog_homophones())  # idempotent
    message = UserMessage("公基金怎么提取", CollectingOutputChannel(), "o_typo")
    parsed = await MessageProcessor.parse_message(None, message)
    assert seen == ["公积金怎么提取"]
    assert parsed["text"] == message.text == "公基金怎么提取"
