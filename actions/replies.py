"""Short replies outside a form (2, 第二个, 好的, 不用了, a bare number or date): what they
answer depends on what the bot offered last, remembered in ``choice_kind``."""
from __future__ import annotations

import re
from typing import Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CLEAR_CHOICE, china_now, intent_of, pending_choice, sorry_portal_down, text_of
from actions.dates import parse_when
from actions.guides import answer_item
from actions.handoff import start_topic
from actions.portal_client import PortalError
from actions.values import application_id, choice

# Digits that are a farewell in chat (88 拜拜, 886 拜拜了), not a value: no option is that large.
CHAT_FAREWELL = re.compile(r"^(8{2,}6?|拜88)[啦了哈啊呀咯~!！。 ]*$")


class ActionHandleReply(Action):
    def name(self) -> Text:
        return "action_handle_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        kind, options = pending_choice(tracker)
        intent, text = intent_of(tracker), text_of(tracker)
        if kind == "offer_booking" and intent in ("affirm", "deny"):
            if intent == "affirm":
                return [*CLEAR_CHOICE, SlotSet("appt_item", options[0]), FollowupAction("appointment_form")]
            dispatcher.utter_message(text="好的。还有什么可以帮您？")
            return CLEAR_CHOICE
        if kind == "topic" and intent == "affirm" and options == ["human_handoff"]:
            return start_topic("human_handoff")
        index = choice(text, len(options)) if options else None
        if index is not None:
            return await self._picked(dispatcher, kind, options[index])
        return self._unprompted(dispatcher, tracker, text)

    async def _picked(self, dispatcher: CollectingDispatcher, kind: str, option: str) -> List[EventType]:
        if kind == "item":
            try:
                return await answer_item(dispatcher, option, [])
            except PortalError:
                sorry_portal_down(dispatcher)
                return CLEAR_CHOICE
        return start_topic(option)

    def _unprompted(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType]:
        """A value nobody asked for: an application number or a date says what the user wants."""
        if CHAT_FAREWELL.match(text.strip()):
            dispatcher.utter_message(response="utter_goodbye")
            return CLEAR_CHOICE
        if application_id(text):
            return [*CLEAR_CHOICE, FollowupAction("status_form")]
        if parse_when(text, china_now()):
            return [*CLEAR_CHOICE, FollowupAction("appointment_form")]
        if intent_of(tracker) == "deny":
            dispatcher.utter_message(text="好的。还有什么可以帮您？")
        else:
            dispatcher.utter_message(response="utter_how_can_i_help")
        return CLEAR_CHOICE
