"""好差评 ratings and complaints, both stored with the portal."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import entity, intent_of, sorry_portal_down, text_of
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.portal_client import PortalError, portal
from actions.values import digits_of

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
# When NLU finds no rating entity: words checked in order (longest meaning first).
LEVEL_WORDS = (("非常不满意", ("非常不满", "十分不满", "极差", "太差", "垃圾", "一星", "1星", "很差", "负分")),
               ("不满意", ("不满意", "差评", "不太满意", "两星", "2星", "不好", "不及格")),
               ("基本满意", ("基本满意", "一般", "还行", "凑合", "三星", "3星", "马马虎虎", "中评")),
               ("非常满意", ("非常满意", "十分满意", "五星", "5星", "超赞", "特别满意", "非常好", "太棒", "满分")),
               ("满意", ("满意", "好评", "四星", "4星", "不错", "挺好")))
# A score (打4分, 给个九十分) or a row of stars (⭐⭐⭐) as a share of the best, lowest share first.
SCORE = re.compile(r"(?<!\d)(\d{1,3})分")
CHINESE_TENS = re.compile(r"([一二两三四五六七八九]?)十(?=分)")  # 九十分 → 九0分, 十分 → 一0分
STAR = re.compile(r"[⭐★🌟]")
SCALES = (5, 10, 100)
SHARE_LEVELS = ((0.3, "非常不满意"), (0.5, "不满意"), (0.7, "基本满意"), (0.9, "满意"), (1.01, "非常满意"))
MIN_COMPLAINT_CHARS = 8


def rating_level(tracker: Tracker) -> Optional[str]:
    value = entity(tracker, "rating")
    if value in LEVELS:
        return value
    text = text_of(tracker)
    worded = next((level for level, words in LEVEL_WORDS if any(w in text for w in words)), None)
    return worded or score_level(text)


def score_level(text: str) -> Optional[str]:
    """The level a score or a row of stars stands for: 4分 of 5, 8分 of 10, 90分 of 100, ⭐⭐⭐ of 5."""
    tens = CHINESE_TENS.sub(lambda m: (m.group(1) or "一") + "0", text.replace("一百分", "100分"))
    match = SCORE.search(digits_of(tens))
    score, stars = (int(match.group(1)) if match else None), len(STAR.findall(text))
    if score is None and not 1 <= stars <= 5:
        return None
    score = stars if score is None else score
    scale = next((s for s in SCALES if score <= s), None)
    if scale is None:
        return None
    return next(level for share, level in SHARE_LEVELS if score / scale < share)


class ActionRateService(SafeAction):
    def name(self) -> Text:
        return "action_rate_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        level = rating_level(tracker)
        if level is None:
            dispatcher.utter_message(text="请问您对本次服务的评价是：非常满意、满意、基本满意、不满意还是非常不满意？")
            return []
        try:
            await portal().rate(level, tracker.sender_id, tracker.get_slot("item_code"), text_of(tracker)[:1000])
        except PortalError:
            sorry_portal_down(dispatcher)
            return []
        if level in ("不满意", "非常不满意"):
            dispatcher.utter_message(text=f"已记录您的评价：{level}。很抱歉让您不满意，我们会在规定时间内整改并回访。"
                                          "愿意的话请说说哪里不好（回复“投诉”），或回复“转人工”由工作人员跟进。")
        else:
            dispatcher.utter_message(text=f"已记录您的评价：{level}。感谢您的支持！")
        return []


class ValidateComplaintForm(SafeFormValidationAction):
    def name(self) -> Text:
        return "validate_complaint_form"

    async def extract_complaint_text(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        """The complaint itself: the message that opened the form when it says enough, or the answer."""
        text = text_of(tracker).strip()
        asked = tracker.get_slot("requested_slot") == "complaint_text"
        opening = intent_of(tracker) == "complain" and len(text) >= 12
        if (asked and intent_of(tracker) not in ("deny",)) or opening:
            return {"complaint_text": text}
        return {}

    async def validate_complaint_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        if value and len(value) < MIN_COMPLAINT_CHARS:
            dispatcher.utter_message(text="请再具体说说：哪个事项、哪个大厅或窗口、发生了什么。")
            return {"complaint_text": None}
        return {"complaint_text": value}


class ActionRegisterComplaint(SafeAction):
    def name(self) -> Text:
        return "action_register_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        text = tracker.get_slot("complaint_text")
        if not text:
            return [SlotSet("complaint_text", None)]
        try:
            complaint = await portal().complain(text[:2000], tracker.sender_id, tracker.get_slot("item_code"))
        except PortalError:
            sorry_portal_down(dispatcher)
            return []
        dispatcher.utter_message(text=f"您的投诉已登记，编号 {complaint['reference']}。我们会在5个工作日内核实处理并回复您。"
                                      "需要现在和工作人员沟通，请回复“转人工”。")
        return [SlotSet("complaint_text", None)]
