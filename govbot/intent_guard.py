"""A message that gives a mobile number is never small talk: its intent is ``inform``.

The NLU now and then reads a name and a phone number ("潘永红 13788881212", "我叫任平
13744448888") as ``goodbye`` or ``greet``: a short message of a name says little else. The
goodbye rule then answers 再见 to a citizen who is giving the facts of a booking. A message with
a mobile number gives a value, whatever else the model thought: here its intent becomes
``inform`` (confidence kept, the model's reading stays in the ranking), which the reply action
and the forms read for what it gives. Other intents (a complaint with a phone, a status query)
are left as they are.

Installed like ``govbot.message_bound``: in ``MessageProcessor.parse_message``, once, in the
Rasa server process, so it holds for every channel and needs no retraining.
"""
from __future__ import annotations

import functools
from typing import Any, Dict

from actions.values import phone_number

SMALL_TALK = ("goodbye", "greet", "thank", "bot_challenge", "out_of_scope", "nlu_fallback")
INSTALLED = "_govbot_intent_guarded"


def guard(parse_data: Dict[str, Any]) -> Dict[str, Any]:
    """``parse_data`` with small talk that carries a mobile number read as ``inform``."""
    intent = parse_data.get("intent") or {}
    if intent.get("name") in SMALL_TALK and phone_number(parse_data.get("text") or ""):
        parse_data["intent"] = {**intent, "name": "inform"}
    return parse_data


def install() -> None:
    """Guards every message this Rasa server parses from now on; a second call changes nothing."""
    from rasa.core.processor import MessageProcessor

    parse_message = MessageProcessor.parse_message
    if getattr(parse_message, INSTALLED, False):
        return

    @functools.wraps(parse_message)
    async def guarded_parse_message(self: MessageProcessor, *args: Any, **kwargs: Any) -> Any:
        return guard(await parse_message(self, *args, **kwargs))

    setattr(guarded_parse_message, INSTALLED, True)
    MessageProcessor.parse_message = guarded_parse_message  # type: ignore[method-assign]
