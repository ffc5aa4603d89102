"""Bounded work per message: what reaches NLU is cut to ``GOVBOT_MAX_MESSAGE_CHARS``.

NLU is synchronous and runs on the Rasa server's one event loop, and every step of it is
linear or worse in the text's length (jieba, the regex and lookup extractors, the word, char
and pinyin n-gram featurizers, DIET's transformer): a 60 KB message held the loop for 9.9 s
and three of them delayed everyone else by 26.6 s. Citizens' requests are short, so a longer
text is cut before any of that: the first part is still understood and answered ("我要预约办身份证。"
followed by a long story still books), preceded by a short note asking to describe the matter
briefly. The tracker keeps only the cut text, so the action server is sent no more than that.

The cut sits in ``MessageProcessor.parse_message``, the one step every message of every channel
(REST, WeChat) and of the HTTP API (``/model/parse``, ``/conversations/<id>/messages``) passes
before NLU; ``install()`` puts it there, once, in the Rasa server process.
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any, Mapping, Optional

SETTING = "GOVBOT_MAX_MESSAGE_CHARS"
DEFAULT_MAX_CHARS = 300
MIN_MAX_CHARS = 20  # below this even "我想预约明天上午去补办身份证" would be cut
MIN_REQUEST_CHARS = 6  # an opening sentence shorter than this (您好！) is a greeting, not the request
SENTENCE_END = re.compile(r"[。！？!?；;\n]")
NOTICE = ("您的消息比较长，请简要描述您要办理的事项（{limit}字以内），例如“补办身份证要带什么”“预约明天上午办护照”。"
          "下面先按消息开头的内容为您解答：")
INSTALLED = "_govbot_bounded"


def max_chars(env: Mapping[str, str] = os.environ) -> int:
    """The configured bound; a wrong value stops the start-up with a message naming it."""
    raw = env.get(SETTING, "").strip()
    if not raw:
        return DEFAULT_MAX_CHARS
    if not raw.isdigit() or int(raw) < MIN_MAX_CHARS:
        raise SystemExit(f"{SETTING} must be a whole number of characters, at least {MIN_MAX_CHARS}; got {raw!r}")
    return int(raw)


def first_part(text: str, limit: int, in_form: bool = False) -> Optional[str]:
    """What of a text longer than ``limit`` is understood; None when it is not longer.

    Inside a form the text answers the form's question (a complaint's details): the first
    ``limit`` characters. Outside one, the opening sentence says what the citizen wants and the
    rest is the story around it, which would otherwise decide the intent: the first sentence of
    at least ``MIN_REQUEST_CHARS`` characters (a bare "您好！" takes the next one along).
    """
    if len(text) <= limit:
        return None
    head = text[:limit]
    if not in_form:
        for end in SENTENCE_END.finditer(head):
            if len(head[:end.end()].strip()) >= MIN_REQUEST_CHARS:
                return head[:end.end()].strip()
    return head.rstrip()


async def bound_message(message: Any, limit: int, in_form: bool = False) -> None:
    """Cuts ``message.text`` (a ``UserMessage``) in place and tells the sender why."""
    cut = first_part(message.text or "", limit, in_form)
    if cut is None:
        return
    message.text = cut
    await message.output_channel.send_text_message(message.sender_id, NOTICE.format(limit=limit))


def install(limit: Optional[int] = None) -> None:
    """Bounds every message this Rasa server parses from now on; a second call changes nothing."""
    from rasa.core.processor import MessageProcessor

    parse_message = MessageProcessor.parse_message
    if getattr(parse_message, INSTALLED, False):
        return
    bound = limit if limit is not None else max_chars()

    @functools.wraps(parse_message)
    async def bounded_parse_message(self: MessageProcessor, message: Any, tracker: Any = None,
                                    *args: Any, **kwargs: Any) -> Any:
        await bound_message(message, bound, in_form=bool(tracker is not None and tracker.active_loop_name))
        return await parse_message(self, message, tracker, *args, **kwargs)

    setattr(bounded_parse_message, INSTALLED, True)
    MessageProcessor.parse_message = bounded_parse_message
