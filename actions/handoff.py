"""Human handoff, and the two-stage fallback that ends in an offer of a human."""
from __future__ import annotations

import logging
from typing import Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    CLEAR_CHOICE,
    SORRY_PORTAL_DOWN,
    day_label,
    intent_of,
    last_bot_action,
    offer_choices,
    text_of,
)
from actions.failsafe import SafeAction
from actions.feedback import register_complaint
from actions.gov_api import GovApiError
from actions.guides import answer_item, asked_aspects, confident_item
from actions.repair import last_bot_turn, wants_human, wants_repeat
from actions.staff_desk import staff_desk
from actions.task_words import switch_to_named_task
from actions.values import application_id
from actions.visit import planned_booking
from console.escalation import Escalation
from govbot.clock import CHINA_TZ
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)
TOPICS = [("查询办事指南（要带什么、在哪办）", "ask_guide"), ("预约到大厅办理", "book_appointment"),
          ("查询办件进度", "check_status"), ("转人工服务", "human_handoff")]


HOTLINE = "紧急事项请拨打12345政务服务热线（24小时）。"
CONSOLE_DOWN = "抱歉，人工服务暂时无法接入，请稍后再回复“转人工”试试。" + HOTLINE
# What the bot said before the citizen asked for a person, and what that makes the reason.
CONTEXT_REASONS = {"action_rate_service": "rating", "complaint_form": "complaint", "action_clarify": "fallback"}


class ActionHandoff(SafeAction):
    """Hands the conversation to staff and says what happens next. With the console (the default)
    the conversation is opened there: the citizen hears their place in the queue and the expected
    wait, or outside staff hours when the message left is taken up; the console out of reach is an
    apology with 12345, and the bot keeps the conversation. With ``HANDOFF_MODE=wechat`` WeChat's
    own customer service takes over (``utter_handoff``)."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        kept = await register_complaint(dispatcher, tracker, at_handoff=True)
        reason, desk = _reason(tracker), staff_desk()
        if desk is None:
            dispatcher.utter_message(response="utter_handoff")
        else:
            try:
                escalation = await desk.escalate(tracker.get_latest_input_channel() or "rest", tracker.sender_id,
                                                 reason, tracker.get_slot("item_name"), text_of(tracker) or None,
                                                 _message_id(tracker))
            except Exception as error:  # noqa: BLE001 - any failure of the console's database: apologise
                logger.error("cannot open a handoff for %s: %s", mask_openid(tracker.sender_id), type(error).__name__)
                dispatcher.utter_message(text=CONSOLE_DOWN)
                return [*kept, *CLEAR_CHOICE]
            dispatcher.utter_message(text=what_happens_next(escalation))
        return [*kept, SlotSet("handoff_reason", reason), *CLEAR_CHOICE, ConversationPaused()]


def what_happens_next(escalation: Escalation) -> str:
    """The wait from the live queue in staff hours; outside them, when the message is taken up."""
    if escalation.opens_at is not None:
        opens = escalation.opens_at.astimezone(CHINA_TZ)
        return (f"好的，已为您转人工服务。现在是非工作时间，您的消息会作为留言，工作人员将在"
                f"{day_label(opens.date().isoformat())} {opens:%H:%M} 上班后处理，并在这个对话里回复您。"
                f"您可以直接把问题发在这里。{HOTLINE}")
    minutes = int(escalation.expected_wait.total_seconds() // 60)
    queue = f"前面还有{escalation.ahead}位市民在等待，" if escalation.ahead else "您是下一位，"
    return (f"好的，已为您转接人工服务。{queue}预计{minutes}分钟内工作人员会在这个对话里回复您。"
            f"您可以直接把问题发在这里，工作人员都能看到。{HOTLINE}")


def _message_id(tracker: Tracker) -> Optional[str]:
    message_id = (tracker.latest_message or {}).get("message_id")
    return str(message_id)[:64] if message_id else None


def _reason(tracker: Tracker) -> str:
    """Why the conversation went to a person, kept for the staff console and for NLU review: what
    the bot had just offered a person after (a bad rating, a complaint, a portal failure, two
    misses), or the citizen's own request; a yes to the offer after two misses is a fallback."""
    asked = intent_of(tracker) == "human_handoff" or wants_human(text_of(tracker))
    if tracker.get_slot("complaint_text") or tracker.active_loop_name == "complaint_form":
        return "complaint"
    said = [message.get("text") for group in last_bot_turn(tracker) for message in group]
    if SORRY_PORTAL_DOWN in said:
        return "portal_failure"
    context = CONTEXT_REASONS.get(last_bot_action(tracker) or "")
    return context or ("user_request" if asked else "fallback")


class ActionRepeat(SafeAction):
    """再说一遍 outside a form: the bot's last messages again, offers and numbered lists kept as they
    were (its turn is a repair turn, see ``actions.repair``). Reached through ``action_clarify``
    (the NLU has no intent for it) and from any action that reads the words first."""

    def name(self) -> Text:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        messages = [message for group in last_bot_turn(tracker) for message in group]
        if not messages:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
        for message in messages:
            dispatcher.utter_message(**{k: v for k, v in message.items() if v})
        # Then listen: no rule follows a repeat, and the policies' fallback (action_clarify) would
        # read the same "再说一遍" and repeat again.
        return [FollowupAction("action_listen")]


class ActionClarify(SafeAction):
    """First miss: the likely topics as a numbered list; second miss in a row: offer a human."""

    def name(self) -> Text:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        named = await task_in_words(dispatcher, tracker)
        if named is not None:
            return named
        if likely_out_of_scope(tracker):
            return say_out_of_scope(dispatcher)
        if _missed_before(tracker):
            dispatcher.utter_message(text="抱歉，我还是没理解您的意思。回复“转人工”由工作人员为您服务，"
                                          "或拨打12345政务服务热线。")
            return [SlotSet("choice_kind", "topic"), SlotSet("choice_options", ["human_handoff"])]
        return offer_choices(dispatcher, "抱歉，我没太明白。您是想：", [label for label, _ in TOPICS], "topic",
                             [intent for _, intent in TOPICS], "请回复序号，或换个说法告诉我。")


class ActionOutOfScope(SafeAction):
    """An everyday request (订酒店, 放首歌, 给妈妈打个电话): one short reply with what this account
    does, numbered, and 12345 for the city's other matters; never a form, a complaint or a handoff.
    Words that plainly name one of our tasks still start it: the classifier may have been wrong."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        named = await task_in_words(dispatcher, tracker)
        if named is not None:
            return named
        return say_out_of_scope(dispatcher)


def say_out_of_scope(dispatcher: CollectingDispatcher) -> List[EventType]:
    """What this account does, numbered, and 12345 for the city's other matters."""
    return offer_choices(dispatcher, "抱歉，这个我帮不上忙。我是政务服务助手，可以帮您：",
                         [label for label, _ in TOPICS], "topic", [intent for _, intent in TOPICS],
                         "请回复序号，或直接说要办的事。水电气、交通、环境等其他城市问题，"
                         "请拨打12345市民服务热线。")


def likely_out_of_scope(tracker: Tracker) -> bool:
    """The NLU was unsure (nlu_fallback) and its best reading was out_of_scope (打个电话给我姐:
    out_of_scope 0.72 against rate_service 0.69): an everyday request, not a question misread."""
    ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    return bool(ranking) and ranking[0].get("name") == "out_of_scope"


async def task_in_words(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[EventType]]:
    """What the words plainly ask for when the NLU found no task: a person, a repeat, a task named
    (投诉… / 约的号想取消), an application's progress (its number), a planned visit (明天下午去东城办居住证),
    or one item's guide; else None."""
    text = text_of(tracker)
    if wants_human(text):
        return [FollowupAction("action_handoff")]
    if wants_repeat(text):
        return [FollowupAction("action_repeat")]
    switch = switch_to_named_task(text)
    if switch:
        return switch
    if application_id(text):  # 过户到底办好没有 SQ…: an application number is asked about
        return [*CLEAR_CHOICE, FollowupAction("status_form")]
    booking = planned_booking(tracker)
    if booking is not None:
        return booking
    return await _answer_plain_item(dispatcher, text)


async def _answer_plain_item(dispatcher: CollectingDispatcher, text: str) -> Optional[List[EventType]]:
    """The guide, when the NLU was unsure but the message is plainly about one item (a long story
    around 城乡居民养老保险 要到哪里办 带什么); None when it is not, or the portal cannot tell."""
    try:
        code = await confident_item(text)
        return await answer_item(dispatcher, code, asked_aspects(text)) if code else None
    except GovApiError:
        return None


def _missed_before(tracker: Tracker) -> bool:
    """Whether the bot's previous answer was also a clarification."""
    return last_bot_action(tracker) == "action_clarify"


def start_topic(intent: str) -> List[EventType]:
    """Continues the conversation as if the user had expressed ``intent``."""
    follow = {"book_appointment": "appointment_form", "check_status": "status_form",
              "human_handoff": "action_handoff", "ask_guide": "utter_ask_which_item",
              "cancel_appointment": "cancel_form", "query_appointment": "action_list_bookings"}
    return [*CLEAR_CHOICE, FollowupAction(follow[intent])]


