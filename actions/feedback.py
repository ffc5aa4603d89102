"""好差评 ratings and complaints, both stored with the portal."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import day_label, entity, intent_of, sorry_portal_down, text_of
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.gov_api import GovApiError, gov_api
from actions.interruption import complains
from actions.repair import plain
from actions.values import digits_of, phone_number
from govbot.masking import mask_phone

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
REPLY_WORKDAYS = 5  # the portal's answer_by is this many China working days after the complaint


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
        # A portal failure is FailSafe's: the apology with the offer of a human, the rating not taken.
        await gov_api().rate(level, tracker.sender_id, tracker.get_slot("item_code"), text_of(tracker)[:1000],
                             channel=tracker.get_latest_input_channel())
        if level in ("不满意", "非常不满意"):
            dispatcher.utter_message(text=f"已记录您的评价：{level}。很抱歉让您不满意，我们会在规定时间内整改并回访。"
                                          "愿意的话请说说哪里不好（回复“投诉”），或回复“转人工”由工作人员跟进。")
        else:
            dispatcher.utter_message(text=f"已记录您的评价：{level}。感谢您的支持！")
        return []


class ValidateComplaintForm(SafeFormValidationAction):
    """The complaint, then a way back to the citizen: a phone, or this chat (the openid is enough)."""

    def name(self) -> Text:
        return "validate_complaint_form"

    def answers_itself(self, tracker: Tracker) -> bool:
        """"不用了 / 就微信回复吧" at the contact question skips the phone; it does not stop the complaint."""
        return tracker.get_slot("requested_slot") == "complaint_contact" and skips_contact(text_of(tracker))

    async def extract_complaint_text(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        """The complaint itself: the message that opened the form when it says enough, or the answer."""
        text = text_of(tracker).strip()
        asked = tracker.get_slot("requested_slot") == "complaint_text"
        opening = (intent_of(tracker) == "complain" or complains(text)) and len(text) >= 12
        if _only_contact(text):  # a phone sent early is the contact, not the complaint
            return {}
        if (asked and intent_of(tracker) not in ("deny",)) or opening:
            return {"complaint_text": text}
        return {}

    async def validate_complaint_text(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        if value and len(value) < MIN_COMPLAINT_CHARS:
            dispatcher.utter_message(text="请再具体说说：哪个事项、哪个大厅或窗口、发生了什么。")
            return {"complaint_text": None}
        return {"complaint_text": value}

    async def extract_complaint_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        """A phone in any message of the form; when asked, "不用了" means reply in WeChat."""
        text = text_of(tracker)
        phone = phone_number(text)
        if phone:
            return {"complaint_contact": phone}
        if tracker.get_slot("requested_slot") != "complaint_contact":
            return {}
        if skips_contact(text):
            return {"complaint_contact": IN_CHAT}
        if re.search(r"\d{5,}", digits_of(text)):
            dispatcher.utter_message(text=f"这个号码好像不对（{_length_note(text)}）。请发11位手机号，或回复“不用了”在微信里接收答复。")
            return {"complaint_contact": None}
        return {}

    async def validate_complaint_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        return {"complaint_contact": value}


IN_CHAT = "wechat"
# 不用了 / 不留了 / 跳过 / 就微信回复吧 / 微信联系就行 / 没有手机 / 不方便留
_SKIP_CONTACT = re.compile(r"不用|不留|跳过|略过|^下一步$|不要|不需要|不想留|不方便|不必|没有手机|没手机|就这样|"
                           r"^没有$|^算了|微信(回复|联系|答复|通知|上|里|就|说|回)|"
                           r"(在|就在|用)?(这里|这儿|这边|公众号)(回复|答复|说|联系)|^(否|不|no|无)$")


_DROPS_COMPLAINT = re.compile(r"不(想)?(再)?(投诉|反映|说|登记|提)了|撤回|撤销")


def skips_contact(text: str) -> bool:
    """The citizen prefers the reply in this chat to giving a phone (not: drops the complaint)."""
    said = plain(text)
    return bool(_SKIP_CONTACT.search(said)) and not phone_number(text) and not _DROPS_COMPLAINT.search(said)


def _only_contact(text: str) -> bool:
    phone = phone_number(text)
    return phone is not None and len(digits_of(text).replace(phone, "")) < MIN_COMPLAINT_CHARS


def _length_note(text: str) -> str:
    count = len(max(re.findall(r"\d+", digits_of(text)), key=len))
    return "手机号是11位" if count == 11 else f"您发的是{count}位，手机号是11位"


def answer_day(complaint: Dict[str, Any]) -> str:
    """"即 12月15日前" from the portal's ``answer_by`` (a China working-day deadline), if it gave one."""
    answer_by = complaint.get("answer_by")
    if not answer_by:
        return ""
    return f"，即{day_label(answer_by)}前"


class ActionRegisterComplaint(SafeAction):
    """Stores the complaint with its contact; the citizen hears the reference, the deadline and how
    the answer will come (phone masked: it is read back in a chat others may see)."""

    def name(self) -> Text:
        return "action_register_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        return await register_complaint(dispatcher, tracker)


async def register_complaint(dispatcher: CollectingDispatcher, tracker: Tracker,
                             at_handoff: bool = False) -> List[EventType]:
    """Stores the complaint in ``complaint_text`` (if any) with the contact given so far.

    Also run by the handoff: a citizen who asks for a person after telling the complaint keeps it.
    """
    text = tracker.get_slot("complaint_text")
    done = [SlotSet("complaint_text", None), SlotSet("complaint_contact", None)]
    if not text:
        return done
    contact = tracker.get_slot("complaint_contact")
    phone = contact if contact and contact != IN_CHAT else None
    try:
        complaint = await gov_api().complain(text[:2000], tracker.sender_id, tracker.get_slot("item_code"), phone)
    except GovApiError:
        if not at_handoff:
            sorry_portal_down(dispatcher)
        return [] if not at_handoff else done
    how = f"工作人员会打 {mask_phone(phone)} 联系您" if phone else "答复会发到这个对话里"
    then = "" if at_handoff else "需要现在和工作人员沟通，请回复“转人工”。"
    dispatcher.utter_message(text=f"您的投诉已登记，编号 {complaint['reference']}。我们会在{REPLY_WORKDAYS}个工作日内"
                                  f"核实处理并答复您{answer_day(complaint)}，{how}。{then}")
    return done
