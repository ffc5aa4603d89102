"""Short replies outside a form (2, 第二个, 好的, 不用了, a bare number or date): what they
answer depends on what the bot offered last, remembered in ``choice_kind``."""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import said_name
from actions.booking_facts import names_service, speaks_of_hall
from actions.common import (
    CLEAR_CHOICE,
    intent_of,
    last_bot_action,
    pending_choice,
    text_of,
)
from actions.dates import only_a_time, parse_when
from actions.failsafe import SafeAction
from actions.guides import ActionAnswerGuide, answer_item, is_guide_follow_up
from actions.handoff import TOPICS, say_out_of_scope, start_topic
from actions.repair import plain, wants_human, wants_repeat
from actions.task_words import switch_to_named_task, wants_booking
from actions.values import application_id, choice, confirms_booking, phone_number
from actions.visit import accept_offer, answers_offer, gives_booking_facts, offer_pending, start_booking
from govbot.clock import china_now

# Digits that are a farewell in chat (88 拜拜, 886 拜拜了), not a value: no option is that large.
CHAT_FAREWELL = re.compile(r"^(8{2,}6?|拜88)[啦了哈啊呀咯~!！。 ]*$")


# A request this long that carries no value at all is not a value the bot waits for.
REQUEST_CHARS = 6


def asks_something_else(text: str) -> bool:
    """A request read as a bare value but carrying none (给小王发个短信 就说我晚点到): no number, name,
    day, hall or choice (the NLU's entities are checked by the caller); the account then says what
    it does and points to 12345."""
    if re.search(r"\d", text) or choice(text, 9) is not None or said_name(text, False):
        return False
    return not gives_booking_facts(text) and len(plain(text)) >= REQUEST_CHARS


def _dates_a_visit(text: str) -> bool:
    """A day or time given unprompted is the day of a visit when it is all the message says, or
    comes with a name, a phone, a service or a hall; 明天上海天气咋样 is about the weather."""
    if not parse_when(text, china_now()):
        return False
    return only_a_time(text) or bool(said_name(text, False) or phone_number(text) or names_service(text)
                                     or speaks_of_hall(text))


class ActionHandleReply(SafeAction):
    def name(self) -> Text:
        return "action_handle_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        if wants_human(text_of(tracker)):  # 人工呢 / 找你们领导, whatever the NLU made of it
            return [FollowupAction("action_handoff")]
        if wants_repeat(text_of(tracker)):  # 再说一遍 / 没看清, read as inform or deny
            return [FollowupAction("action_repeat")]
        switch = switch_to_named_task(text_of(tracker))
        if switch:  # 取消预约 编号YY… 手机… read as inform: the words name the task
            return switch
        if is_guide_follow_up(tracker):  # 要钱不 / 收费不 read as deny or affirm: a question about the item
            return await ActionAnswerGuide().run(dispatcher, tracker, domain)
        offered = offer_pending(tracker)
        if offered is not None:
            events = self._offer_answered(dispatcher, tracker, offered)
            if events is not None:
                return events
        kind, options = pending_choice(tracker)
        if last_bot_action(tracker) == "utter_greet":  # the welcome menu, the latest offer, lists the topics
            kind, options = "topic", [intent for _, intent in TOPICS]
        intent, text = intent_of(tracker), text_of(tracker)
        index = choice(text, len(options)) if options else None
        if kind == "topic":
            if intent == "affirm" and options == ["human_handoff"]:
                return start_topic("human_handoff")
            if index is not None:
                return start_topic(options[index])
        elif kind == "item" and index is not None:
            return await answer_item(dispatcher, options[index], [])  # a portal failure is FailSafe's
        return self._unprompted(dispatcher, tracker, text)

    @staticmethod
    def _offer_answered(dispatcher: CollectingDispatcher, tracker: Tracker, offered: str) -> Optional[List[EventType]]:
        """The reply to the open offer to book, also after a side question in between: a yes (in
        dialect too) or the booking's facts (罗志勇 18600004545) start it, a no closes it. Right
        after the welcome menu a number or a yes picks a topic there; only facts still book."""
        text, intent = text_of(tracker), intent_of(tracker)
        if last_bot_action(tracker) == "utter_greet":
            return accept_offer(text, offered) if said_name(text, False) or gives_booking_facts(text) else None
        answer = answers_offer(text, intent, said_name(text, False))
        if answer:
            return accept_offer(text, offered)
        if answer is False:
            dispatcher.utter_message(text="好的。还有什么可以帮您？")
            return CLEAR_CHOICE
        return None

    def _unprompted(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType]:
        """A value nobody asked for: an application number, a date, a wish to book, or a phone after
        a guide answer says what the user wants."""
        if CHAT_FAREWELL.match(text.strip()):
            dispatcher.utter_message(response="utter_goodbye")
            return CLEAR_CHOICE
        if application_id(text):
            return [*CLEAR_CHOICE, FollowupAction("status_form")]
        if _dates_a_visit(text) or (wants_booking(text) and confirms_booking(text, "") is not False):
            return start_booking()  # 13912340000 我要预约: the form keeps the phone and asks the rest
        if phone_number(text) and tracker.get_slot("item_code"):
            return start_booking()  # 牛建军 159… after a guide answer: booking the item just answered
        if intent_of(tracker) == "deny":
            dispatcher.utter_message(text="好的。还有什么可以帮您？")
        elif intent_of(tracker) == "inform" and not tracker.latest_message.get("entities") \
                and asks_something_else(text):
            return say_out_of_scope(dispatcher)
        else:
            dispatcher.utter_message(response="utter_how_can_i_help")
        return CLEAR_CHOICE
