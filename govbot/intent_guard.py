"""What the words of a message settle, whatever the classifier thought.

- A message that gives a mobile number is never small talk: the NLU now and then reads a name and
  a phone ("潘永红 13788881212") as ``goodbye`` or ``greet``, and the goodbye rule would answer 再见
  to a citizen giving the facts of a booking. Its intent becomes ``inform``.
- Outside a form, a message that carries a number and says what it is for gets the purpose's
  intent (``actions.task_words.purpose_with_number``: 撤了吧 YY…, SQ… 咋还没动静, 我那个预约 YY…
  是上午的吧), where the NLU read a bare value, small talk, or a cancel without a cancel word. Inside
  a form the form reads the message itself, and a cancel intent there would stop it.
- A bare name (李国华) is a value, not out of scope.
- Outside a form, 88 and 886 alone (拜拜 in chat slang) are a goodbye: no value this assistant asks
  for has two or three digits, and the classifier, taught that bare numbers are values, reads them
  as ``inform``. Inside a form the form judges them as answers.

The confidence is kept and the model's reading stays in the ranking. Installed like
``govbot.message_bound``: in ``MessageProcessor.parse_message``, once, in the Rasa server process
(``govbot-rasa``), so it holds for every channel and for ``govbot-rasa test nlu``; no retraining.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Dict, Optional

from actions.booking import said_name
from actions.task_words import purpose_with_number
from actions.values import phone_number

SMALL_TALK = ("goodbye", "greet", "thank", "bot_challenge", "out_of_scope", "nlu_fallback")
VALUE_READINGS = ("inform", *SMALL_TALK)
INSTALLED = "_govbot_intent_guarded"
CHAT_GOODBYE = re.compile(r"^\s*拜?\s*886?\s*[啦了咯呀哈~～!！。.]*\s*$")


def guard(parse_data: Dict[str, Any], in_form: bool = False) -> Dict[str, Any]:
    """``parse_data`` with the intent the words settle (see the module's docstring)."""
    intent = parse_data.get("intent") or {}
    name, text = intent.get("name"), parse_data.get("text") or ""
    settled = _settled(name, text, in_form)
    if settled and settled != name:
        parse_data["intent"] = {**intent, "name": settled}
    return parse_data


def _settled(name: Optional[str], text: str, in_form: bool) -> Optional[str]:
    if not in_form and CHAT_GOODBYE.match(text):
        return "goodbye"
    purpose = None if in_form else purpose_with_number(text)
    if purpose and (name in VALUE_READINGS or (name == "cancel_appointment" and purpose == "query_appointment")):
        return purpose
    if name in SMALL_TALK and phone_number(text):
        return "inform"
    if name in ("out_of_scope", "nlu_fallback") and said_name(text, False) == text.strip():
        return "inform"
    return None


def install() -> None:
    """Guards every message this Rasa server parses from now on; a second call changes nothing."""
    from rasa.core.processor import MessageProcessor

    parse_message = MessageProcessor.parse_message
    if getattr(parse_message, INSTALLED, False):
        return

    @functools.wraps(parse_message)
    async def guarded_parse_message(self: MessageProcessor, message: Any, tracker: Any = None,
                                    *args: Any, **kwargs: Any) -> Any:
        parsed = await parse_message(self, message, tracker, *args, **kwargs)
        return guard(parsed, in_form=bool(tracker is not None and tracker.active_loop_name))

    setattr(guarded_parse_message, INSTALLED, True)
    MessageProcessor.parse_message = guarded_parse_message
