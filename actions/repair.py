"""The ways a conversation leaves a form's happy path, read from the citizen's own words.

Every form (booking, cancel, status, complaint) asks these before it takes a message as the
answer to its question, so "转人工" is never filed as complaint text and "算了" never becomes a
name. The words are checked here, not left to the NLU alone, because inside a form a short
message is easily read as a value.
"""
from __future__ import annotations

import re
from typing import List

from rasa_sdk import Tracker

from actions.values import normalise

# 转人工 / 找个真人 / 人工客服 / 我要跟工作人员说 / 叫你们领导来: a person, not a word of the form
_HUMAN = re.compile(r"(转|接|找|叫|换|要|请)(个|一个|一下)?(人工|真人|活人|客服|工作人员|坐席|领导)|"
                    r"^(人工|人工客服|人工服务|真人|客服)(吧|呢|啊|呀)?$|(人工|真人)(客服|服务|来|处理|回复)|"
                    r"跟(人|真人|工作人员)(说|讲|聊)|不要?(跟|和)?机器人")
# 再说一遍 / 刚才说啥 / 没看清 / 重复一下
_REPEAT = re.compile(r"再说一?(遍|次)|再讲一?(遍|次)|重复一?(下|遍)|刚才(说|讲)(的|了)?(啥|什么|哪)|"
                     r"没(看|听)(清|懂|到)|再发一?(遍|次)|^(啥|什么|蛤|啊)[?？]*$")
# 不约了 / 算了 / 先不办了 / 不用了 / 不查了 / 不投诉了 / 改天再说: the citizen stops the task
_OUT = re.compile(r"(不|别|甭|先不|暂时不|还是不)(想|要|用|打算)?(再)?(去)?"
                  r"(预约|约|办|弄|搞|查|投诉|反映|说|问|提交|填)了|"
                  r"^(那就?|那)?算了|下次再说|改天再(约|说|办|来|查)|以后再说|^不用了|^先这样吧|"
                  r"^(退出|结束|停|停止|取消)$")


def _cleaned(text: str) -> str:
    return normalise(text).rstrip("。.!！~～，,吧啊呀哈")


def wants_human(text: str) -> bool:
    """The citizen asks for a person, at any step."""
    return bool(_HUMAN.search(_cleaned(text)))


def wants_repeat(text: str) -> bool:
    """The citizen asks to hear the last message again."""
    return bool(_REPEAT.search(_cleaned(text)))


def wants_out(text: str) -> bool:
    """The citizen stops the task in progress, whatever question was asked."""
    return bool(_OUT.search(_cleaned(text)))


def times_asked_in_a_row(tracker: Tracker, slot: str) -> int:
    """How many times in a row the form has asked for ``slot`` up to now (0 if not the last ask).

    Counted from the tracker's ``requested_slot`` settings since the last user message that
    filled anything else, so a form can ask a second time with numbered options and the offer
    of a human, and never a third time the same way.
    """
    count = 0
    asked: List[str] = [e.get("value") for e in tracker.events
                        if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    for value in reversed(asked):
        if value != slot:
            break
        count += 1
    return count


# --- appended by h-status: the second ask and the end instead of a third -----------------

HUMAN_HINT = "如需人工帮助，回复“转人工”。"
GIVE_UP = ("这一步没能对上，先不继续了。请回复“转人工”，工作人员会帮您处理；也可拨打12345政务服务热线。")


def second_ask_hint(tracker: Tracker, slot: str) -> str:
    """The offer of a human to add when ``slot`` is being asked the second time in a row."""
    return "\n" + HUMAN_HINT if times_asked_in_a_row(tracker, slot) >= 1 else ""


def asked_twice(tracker: Tracker, slot: str) -> bool:
    """``slot`` was asked twice in a row already: a wrong answer now ends the form (no third ask)."""
    return times_asked_in_a_row(tracker, slot) >= 2


def leaves_form(text: str) -> bool:
    """Words that stop a form or ask for a person: never taken as a slot's value."""
    return wants_human(text) or wants_out(text)
