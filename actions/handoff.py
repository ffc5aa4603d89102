"""Human handoff, and the two-stage fallback that ends in an offer of a human."""
from __future__ import annotations

from typing import Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CLEAR_CHOICE, intent_of, last_bot_action, offer_choices, text_of
from actions.failsafe import SafeAction
from actions.feedback import register_complaint
from actions.guides import answer_item, asked_aspects, confident_item
from actions.portal_client import PortalError
from actions.repair import last_bot_turn, wants_human, wants_repeat
from actions.task_words import switch_to_named_task
from actions.visit import planned_booking

TOPICS = [("查询办事指南（要带什么、在哪办）", "ask_guide"), ("预约到大厅办理", "book_appointment"),
          ("查询办件进度", "check_status"), ("转人工服务", "human_handoff")]


class ActionHandoff(SafeAction):
    """Pauses the conversation for staff and says what happens next: who replies, where, when,
    and the 12345 hotline for what cannot wait (``utter_handoff``)."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        kept = await register_complaint(dispatcher, tracker, at_handoff=True)
        dispatcher.utter_message(response="utter_handoff")
        return [*kept, SlotSet("handoff_reason", _reason(tracker)), *CLEAR_CHOICE, ConversationPaused()]


def _reason(tracker: Tracker) -> str:
    """Why the conversation went to a person, kept for the staff console and for NLU review."""
    asked = intent_of(tracker) == "human_handoff" or wants_human(text_of(tracker))
    return "user_request" if asked else "fallback"


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
        text = text_of(tracker)
        if wants_human(text):  # the NLU was unsure, the words are not
            return [FollowupAction("action_handoff")]
        if wants_repeat(text):
            return [FollowupAction("action_repeat")]
        switch = switch_to_named_task(text)
        if switch:  # 投诉… / 约的号想取消: the words name the task
            return switch
        booking = planned_booking(tracker)  # 我明天下午想去东城那边办个居住证嘛 read as unclear
        if booking is not None:
            return booking
        answered = await _answer_plain_item(dispatcher, text)
        if answered is not None:
            return answered
        if _missed_before(tracker):
            dispatcher.utter_message(text="抱歉，我还是没理解您的意思。回复“转人工”由工作人员为您服务，"
                                          "或拨打12345政务服务热线。")
            return [SlotSet("choice_kind", "topic"), SlotSet("choice_options", ["human_handoff"])]
        return offer_choices(dispatcher, "抱歉，我没太明白。您是想：", [label for label, _ in TOPICS], "topic",
                             [intent for _, intent in TOPICS], "请回复序号，或换个说法告诉我。")


async def _answer_plain_item(dispatcher: CollectingDispatcher, text: str) -> Optional[List[EventType]]:
    """The guide, when the NLU was unsure but the message is plainly about one item (a long story
    around 城乡居民养老保险 要到哪里办 带什么); None when it is not, or the portal cannot tell."""
    try:
        code = await confident_item(text)
        return await answer_item(dispatcher, code, asked_aspects(text)) if code else None
    except PortalError:
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


