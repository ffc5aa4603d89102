"""Confirmations read negations right, as the shipped NLU classifies the answer: a "no" that
names the action (先别取消了) never cancels, a "no" at the read-back never books."""
from __future__ import annotations

import asyncio
from typing import Dict

import pytest

from actions.values import confirms_booking, confirms_cancel
from govbot.settings import MODELS_DIR
from govbot.train import train

CANCEL_YES = ["确认", "确定取消", "是的", "对，取消吧", "取消吧", "嗯", "好的", "可以", "没问题，取消", "1", "第一个",
              "撤了吧", "对的，帮我取消", "是，不去了", "行，取消掉", "我不想去了，取消吧", "确认取消", "ok",
              "不去了取消吧", "撤销吧", "退掉吧"]
CANCEL_NO = ["不", "不是", "不取消", "先别取消了", "哎先别取消了，我还要去的", "别取消", "还是留着吧", "我再想想",
             "不要取消", "不用了", "算了，先留着", "等等，我再考虑一下", "先不取消了", "保留吧", "暂时不取消",
             "莫取消", "甭取消了", "不了不了", "否", "我还要去的",
             "不取消了", "先别取消了我还要去的", "算了不取消"]
BOOK_YES = ["确认", "确定", "对", "是的", "好的", "没问题", "可以", "嗯嗯", "1", "第一个", "对的，就这样", "没错",
            "确认预约", "行", "好，提交吧", "ok"]
BOOK_NO = ["不", "不对", "不是", "先不约了", "不约了", "算了", "我再想想", "不用了", "先别提交", "别约了",
           "还是不约了吧", "等一下", "暂时不约", "不要预约了", "取消吧", "否", "我再考虑考虑"]


@pytest.fixture(scope="module")
def intents() -> Dict[str, str]:
    """Each phrase's intent from the model ``make train`` ships."""
    from rasa.core.agent import Agent

    assert train() == 0, "training failed"  # only when the model is out of date
    agent = Agent.load(str(MODELS_DIR / "govbot.tar.gz"))

    async def parse_all() -> Dict[str, str]:
        phrases = set(CANCEL_YES + CANCEL_NO + BOOK_YES + BOOK_NO)
        return {text: (await agent.parse_message(text))["intent"]["name"] for text in phrases}

    return asyncio.run(parse_all())


CASES = ([(confirms_cancel, text, True) for text in CANCEL_YES]
         + [(confirms_cancel, text, False) for text in CANCEL_NO]
         + [(confirms_booking, text, True) for text in BOOK_YES]
         + [(confirms_booking, text, False) for text in BOOK_NO])


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the first one may train the model
@pytest.mark.parametrize("confirms, text, meant", CASES,
                         ids=[f"{c.__name__}-{'yes' if m else 'no'}-{t}" for c, t, m in CASES])
def test_yes_and_no_as_citizens_say_them(intents, confirms, text, meant):
    """A no keeps the booking (cancel) or books nothing (read-back); a yes goes ahead."""
    assert confirms(text, intents[text]) is meant, intents[text]


@pytest.mark.parametrize("text, intent", [("取消吧", "cancel_appointment"), ("先别取消了", "cancel_appointment"),
                                          ("我改主意了，换成周四", "inform")])
def test_an_answer_that_is_neither_yes_nor_no_changes_nothing(text, intent):
    assert confirms_booking(text, intent) in (False, None)
    assert confirms_cancel("我改主意了，换成周四", "inform") is None


@pytest.mark.parametrize("intent", ["inform", "affirm", "cancel_appointment"])
def test_the_words_decide_at_the_cancel_confirmation_whatever_the_intent(intent):
    """Not slow: the NLU's reading of a "no" that names the action (cancel_appointment) or of a
    bare value (inform) must not change the answer."""
    assert [t for t in CANCEL_YES if confirms_cancel(t, intent) is not True] == []
    assert [t for t in CANCEL_NO if confirms_cancel(t, intent) is not False] == []
