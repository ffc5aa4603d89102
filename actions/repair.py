"""The ways a conversation leaves a form's happy path, read from the citizen's own words.

Every form (booking, cancel, status, complaint) asks these before it takes a message as the
answer to its question, so "转人工" is never filed as complaint text and "算了" never becomes a
name. The words are checked here, not left to the NLU alone, because inside a form a short
message is easily read as a value. Text is read in simplified characters (轉人工 = 转人工),
half-width, without spaces.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.gov_api import GovApiRefused
from actions.values import normalise
from govbot.script import to_simplified

_YOU = r"(你们|您们|你们的|您们的|你们那边的|贵单位的?)?"
_PERSON = r"(人工|真人|活人|客服|工作人员|坐席|领导|负责人|主任|经理|管事的|值班的?|专人|柜台的?人)"
# 转人工 / 找个真人 / 人工客服 / 我要跟工作人员说 / 叫你们领导来 / 找你们领导 / 有没有人工
_HUMAN = re.compile(rf"(转|接|找|叫|换|要|请|让|喊|联系)(个|一个|一下|下)?{_YOU}{_PERSON}|"
                    r"^(人工|人工客服|人工服务|真人|客服|转人工|人工台)(吧|呢|啊|呀|嘛)?$|"
                    r"(人工|真人)(客服|服务|来|处理|回复|回答|接待|接听|坐席)|转接人工|"
                    r"有没有(人工|真人)|"
                    r"跟(人|真人|工作人员|活人|你们领导)(说|讲|聊|谈|沟通)|"
                    r"不(要|想)?(跟|和)?(机器人|智能客服|机械人)(说|聊|讲)?|"
                    r"(人工|真人)在(吗|不|么)")
# 再说一遍 / 刚才说啥 / 没看清 / 重复一下 / 再发一次 / 没看懂你说的
_REPEAT = re.compile(r"(再|重新)(说|讲|发|来|念|读)一?(遍|次|下)|重复一?(下|遍|次)|"
                     r"刚才(你)?(说|讲|发)(的|了)?(啥|什么|哪|是啥)|你(说|讲)(的)?(啥|什么)|"
                     r"没(看|听)(清|懂|到|明白|见)|(看|听)不(清|懂|到)|"
                     r"^(啥|什么|蛤|啊|嗯|哈|么|咩|乜)[?？]+$|上一条|再说说看?$")
# 不约了 / 算了 / 先不办了 / 不用了 / 不查了 / 不投诉了 / 改天再说: the citizen stops the task
_OUT = re.compile(r"(不|别|甭|先不|暂时不|还是不|暂不|就不|不想)(想|要|用|打算|准备)?(再)?(去)?"
                  r"(预约|约|办|弄|搞|查|投诉|反映|说|问|提交|填|登记)了|"
                  r"^(那就?|那|哎|唉|好吧)?算了|(还是|要不|那就|那|就)算了|下次再说|改天再(约|说|办|来|查)|以后再说|回头再说|^不用了|"
                  r"^先这样吧?$|不弄了|没事了|^(退出|结束|停|停止|取消|撤销|不要了|不办了)$")


def plain(text: str) -> str:
    """The citizen's text as the detectors read it: simplified, half-width, no trailing particles."""
    return normalise(to_simplified(text or "")).rstrip("。.!！~～，,?？吧啊呀哈嘛啦呢")


def wants_human(text: str) -> bool:
    """The citizen asks for a person, at any step."""
    return bool(_HUMAN.search(plain(text)))


def wants_repeat(text: str) -> bool:
    """The citizen asks to hear the last message again."""
    return bool(_REPEAT.search(plain(text) + ("?" if text.strip().endswith(("?", "？")) else "")))


# After 算了, a new choice is a change of mind, not a way out: 算了东城太远 还是去市民中心吧 / 算了 改周五;
# so is the contact the form asks for (那就算了 我自己去 霍建华 135…: only the other idea is dropped).
_CHANGE_OF_MIND = re.compile(r"还是(去|约|到|改|换|要|选|定|在|办)|改(?!天)|换|1[3-9]\d{9}")


def wants_out(text: str) -> bool:
    """The citizen stops the task in progress, whatever question was asked; "算了, 还是去X" changes
    the task instead (a correction), unless the rest stops it too (算了 改天再说)."""
    cleaned = plain(text)
    found = _OUT.search(cleaned)
    if found is None:
        return False
    rest = cleaned[found.end():]
    return not _CHANGE_OF_MIND.search(rest) or bool(_OUT.search(rest))


# --- what was asked, turn by turn -------------------------------------------------------------
#
# A turn is what follows one user message. A *repair turn* is one in which the bot did not get
# an answer to its question and asks it again for that reason: the citizen asked to hear it again
# (再说一遍), asked something else that was answered (action_form_interruption: a guide question,
# chitchat, "are you a bot"; not a message it did not understand), or an action failed and the
# apology was sent. A repair turn's
# re-ask is not counted and does not break a run: the question was not misunderstood there.

REPAIR_ACTIONS = ("action_form_interruption", "action_repeat")
# What action_form_interruption answers (a side question, chitchat); anything else it gets is a
# message it did not understand ("没太明白"), whose re-ask counts like any other.
ANSWERED_ASIDE = ("ask_guide", "rate_service", "greet", "thank", "bot_challenge", "out_of_scope", "goodbye")
FAILURE_TEXT = "抱歉，政务服务系统暂时没有响应"


def _turns(events: List[Dict[str, Any]]) -> Iterator[List[Dict[str, Any]]]:
    """The events after each user message, up to the next one (the latest turn last)."""
    turn: Optional[List[Dict[str, Any]]] = None
    for event in events:
        if event.get("event") == "user":
            if turn is not None:
                yield turn
            turn = [event]
        elif turn is not None:
            turn.append(event)
    if turn is not None:
        yield turn


def _is_repair(turn: List[Dict[str, Any]]) -> bool:
    said = turn[0]
    if wants_repeat(said.get("text") or ""):
        return True
    intent = ((said.get("parse_data") or {}).get("intent") or {}).get("name")
    for event in turn:
        if event.get("event") == "action" and event.get("name") in REPAIR_ACTIONS:
            if event["name"] != "action_form_interruption" or intent in ANSWERED_ASIDE:
                return True
        if event.get("event") == "bot" and (event.get("text") or "").startswith(FAILURE_TEXT):
            return True
    return False


def _asked(turn: List[Dict[str, Any]]) -> Tuple[bool, Optional[str]]:
    """Whether the turn set ``requested_slot``, and the last value it set."""
    values = [e.get("value") for e in turn if e.get("event") == "slot" and e.get("name") == "requested_slot"]
    return bool(values), (values[-1] if values else None)


def times_asked_in_a_row(tracker: Tracker, slot: str) -> int:
    """How many turns in a row, before the latest user message, ended with the form asking ``slot``.

    Semantics every form relies on (the ask actions call it while asking, in the current turn):
    - 0: ``slot`` was not the question of the previous turn: this is the first ask.
    - 1: it was asked once just before: this is the second ask, which comes with the numbered
      options and the offer of a human.
    - 2 or more: asking again would be a third time: take another way (a default, a human).
    Repair turns (see above) are skipped: their re-ask neither counts nor breaks the run. A turn
    that asked something else, or asked nothing (the form was not running), ends the run.
    The current turn is never counted, so the answer is the same before and after the form sets
    ``requested_slot`` in this turn.
    """
    count = 0
    for turn in reversed(list(_turns(tracker.events))[:-1]):
        if _is_repair(turn):
            continue
        was_asked, value = _asked(turn)
        if not was_asked or value != slot:
            break
        count += 1
    return count


def is_repair_turn(tracker: Tracker) -> bool:
    """Whether the current turn re-asks only because of a repair (repeat, side question, failure):
    an ask action then asks plainly, as the first time, instead of escalating."""
    turns = list(_turns(tracker.events))
    return bool(turns) and _is_repair(turns[-1])


def last_bot_turn(tracker: Tracker) -> List[List[Dict[str, Any]]]:
    """What the bot said after the citizen's previous message, in groups: each group is the
    messages of one action (a form's question is the last group). Empty when it said nothing."""
    turns = list(_turns(tracker.events))
    previous = turns[-2] if len(turns) >= 2 else []
    groups: List[List[Dict[str, Any]]] = []
    fresh = True
    for event in previous[1:]:
        if event.get("event") == "bot":
            if fresh:
                groups.append([])
                fresh = False
            groups[-1].append(_message(event))
        else:
            fresh = fresh or event.get("event") in ("action", "slot")
    return groups


def _message(event: Dict[str, Any]) -> Dict[str, Any]:
    data = event.get("data") or {}
    message: Dict[str, Any] = {"text": event.get("text")}
    for key in ("buttons", "image", "custom", "attachment"):
        if data.get(key):
            message[key] = data[key]
    return message

# --- the second ask and the end instead of a third -----------------------------------------

HUMAN_HINT = "如需人工帮助，回复“转人工”。"
GIVE_UP = ("这一步没能对上，先不继续了。请回复“转人工”，工作人员会帮您处理；也可拨打12345政务服务热线。")


def second_ask_hint(tracker: Tracker, slot: str) -> str:
    """The offer of a human to add when ``slot`` is being asked the second time in a row."""
    return "\n" + HUMAN_HINT if times_asked_in_a_row(tracker, slot) >= 1 else ""


def said_too_many_tries(error: GovApiRefused, dispatcher: CollectingDispatcher) -> bool:
    """The portal refused for too many wrong guesses (HTTP 429): says so with the offer of a human,
    and the caller stops its form. False for any other refusal, which the caller explains."""
    if error.status != 429:
        return False
    dispatcher.utter_message(text=f"{error.message}。{HUMAN_HINT}")
    return True


def asked_twice(tracker: Tracker, slot: str) -> bool:
    """``slot`` was asked twice in a row already: a wrong answer now ends the form (no third ask)."""
    return times_asked_in_a_row(tracker, slot) >= 2


def leaves_form(text: str) -> bool:
    """Words that stop a form or ask for a person: never taken as a slot's value."""
    return wants_human(text) or wants_out(text)
