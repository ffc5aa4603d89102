"""Bounded work per message (issue 9, point 5): the cut before NLU, its setting, and, slow, three
concurrent 60 KB messages through the real stack that no longer delay another citizen."""
from __future__ import annotations

import asyncio
import importlib.util
import sys
import uuid

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from govbot import message_bound
from govbot.settings import MODELS_DIR, ROOT

PROMPT = "您的消息比较长，请简要描述您要办理的事项"


def test_setting_default_and_refusal():
    assert message_bound.max_chars({}) == 300
    assert message_bound.max_chars({"GOVBOT_MAX_MESSAGE_CHARS": "500"}) == 500
    for wrong in ("abc", "-5", "3", "3.5"):
        with pytest.raises(SystemExit, match="GOVBOT_MAX_MESSAGE_CHARS"):
            message_bound.max_chars({"GOVBOT_MAX_MESSAGE_CHARS": wrong})


async def test_long_text_is_cut_and_the_sender_told_short_text_untouched():
    channel = CollectingOutputChannel()
    long = UserMessage("我要预约办身份证。" + "我的故事很长。" * 5000, channel, "o_long")
    await message_bound.bound_message(long, 300)
    assert long.text.startswith("我要预约办身份证。") and len(long.text) <= 300
    assert len(channel.messages) == 1 and channel.messages[0]["text"].startswith(PROMPT)
    assert channel.messages[0]["recipient_id"] == "o_long"
    short = UserMessage("你好", channel, "o_short")
    await message_bound.bound_message(short, 300)
    assert short.text == "你好" and len(channel.messages) == 1


def test_first_part_is_the_opening_request_outside_a_form_and_the_head_inside_one():
    story = "上个月我的身份证在公交车上丢了，去派出所问了以后说要到大厅补办。" * 20
    assert message_bound.first_part("我要预约办身份证。" + story, 300) == "我要预约办身份证。"
    assert message_bound.first_part("您好！我要预约办身份证。" + story, 300) == "您好！我要预约办身份证。"
    assert message_bound.first_part("很" * 400, 300) == "很" * 300  # no sentence end: the head
    complaint = "窗口工作人员态度很差。" + story
    assert message_bound.first_part(complaint, 300, in_form=True) == complaint[:300]
    assert message_bound.first_part("我要预约办身份证。", 300) is None


def test_installed_once_on_the_step_every_message_passes_before_nlu():
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.parse_message
    try:
        message_bound.install(300)
        installed = MessageProcessor.parse_message
        message_bound.install(300)
        assert MessageProcessor.parse_message is installed and installed is not original
        assert getattr(installed, message_bound.INSTALLED)
    finally:
        MessageProcessor.parse_message = original


def load_benchmark():
    spec = importlib.util.spec_from_file_location("long_messages", ROOT / "benchmarks" / "long_messages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def wechat_says(stack, text: str) -> list:
    """A signed WeChat push; the turn's texts: the passive reply, then customer-service messages."""
    from connectors.wechat.testing.fake_api import DEMO_APP_ID, DEMO_TOKEN
    from connectors.wechat.testing.simulator import WeChatPeer

    openid = "o" + uuid.uuid4().hex[:27]
    peer = WeChatPeer(stack.webhook_url, DEMO_TOKEN, DEMO_APP_ID, None, fake_api_url=stack.wechat_api_url)
    try:
        delivery = await peer.push(peer.text(openid, text))
        assert delivery.status == 200, delivery.body
        texts = [delivery.reply] if delivery.reply else []
        seq = 0
        for _ in range(5):  # bounded: the rest of the turn follows as pushes
            messages, seq = await peer.customer_messages(openid, seq, wait=1.0 if texts else 8.0)
            if not messages:
                break
            texts += [m["text"] for m in messages]
        return texts
    finally:
        await peer.close()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_three_concurrent_60_kb_messages_do_not_delay_another_citizen(tmp_path):
    from govbot.stack import running_stack
    from govbot.train import train

    assert train() == 0, "training failed"  # only when the model is out of date
    model = MODELS_DIR / "govbot.tar.gz"
    benchmark = load_benchmark()
    with running_stack(model, log_dir=tmp_path) as stack:
        figures = asyncio.run(benchmark.measure(stack, kilobytes=60, senders=3))
        wechat = asyncio.run(wechat_says(stack, benchmark.long_text(2)))  # the same cut on the WeChat channel
    assert wechat[0].startswith(PROMPT) and "预约" in "\n".join(wechat[1:]), wechat
    assert figures.hello_status == 200 and "您好" in figures.hello_reply
    assert figures.hello_seconds < 1.0, figures
    assert figures.long_statuses == [200, 200, 200]
    for reply in figures.long_replies:  # the note, then the opening request still understood: a booking starts
        note, answer = reply.split("\n", 1)
        assert note.startswith(PROMPT) and "预约" in answer and "【" not in answer, reply
