"""What every feature's actions share: replies, the polite failure message, numbered choices."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.values import numbered

logger = logging.getLogger(__name__)
WEEKDAYS = "一二三四五六日"
SORRY_PORTAL_DOWN = ("抱歉，政务服务系统暂时没有响应，请稍后再试。"
                     "如需人工帮助，回复“转人工”，工作人员会尽快回复您；也可拨打12345政务服务热线。")


def say(dispatcher: CollectingDispatcher, text: str) -> None:
    """Sends ``text`` whole: each channel splits it as its platform needs (the WeChat connector
    at WeChat's 2,048 bytes, at line and sentence ends), so no message is spent on a split that
    the platform does not ask for."""
    dispatcher.utter_message(text=text)


def sorry_portal_down(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(text=SORRY_PORTAL_DOWN)


def offer_choices(dispatcher: CollectingDispatcher, intro: str, labels: Sequence[str],
                  kind: str, options: Sequence[Any], outro: str = "请回复序号。") -> List[EventType]:
    """Shows a numbered list (WeChat text has no buttons) and remembers what each number means."""
    say(dispatcher, f"{intro}\n{numbered(labels)}\n{outro}")
    return [SlotSet("choice_kind", kind), SlotSet("choice_options", list(options))]


def pending_choice(tracker: Tracker) -> tuple:
    return tracker.get_slot("choice_kind"), tracker.get_slot("choice_options") or []


CLEAR_CHOICE: List[EventType] = [SlotSet("choice_kind", None), SlotSet("choice_options", None)]


def entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


def day_label(iso_day: str) -> str:
    day = datetime.fromisoformat(iso_day)
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def text_of(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def intent_of(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def last_bot_action(tracker: Tracker) -> str:
    """The bot's last action before this message, listening aside: what it said or offered last."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return event["name"]
    return ""


def slots_reset(names: Sequence[str]) -> List[Dict[str, Any]]:
    return [SlotSet(name, None) for name in names]
