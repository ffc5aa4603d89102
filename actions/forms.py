"""What happens when a message does not answer the question a form asked (the unhappy path).

A person, a repeat and a way out are read before this, in every form's validation
(``actions/form_repair.py``); what reaches these actions is what the form rejected: a side
question, chitchat, a message the NLU read as leaving the form.
"""
from __future__ import annotations

from typing import Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel import ActionListBookings
from actions.common import intent_of, text_of
from actions.failsafe import SafeAction
from actions.feedback import ActionRateService
from actions.form_repair import STOPPED, form_slots, stop_events
from actions.guides import ActionAnswerGuide
from actions.interruption import asks_guide, pause_for_other_task
from actions.repair import wants_human, wants_out
from actions.task_words import asks_about_bookings, task_named

__all__ = ["STOPPED", "form_slots", "ActionStopForm", "ActionFormInterruption"]
# Chitchat inside a form: a short answer, then the form asks its question again.
SMALL_TALK = {"bot_challenge": "utter_iamabot", "out_of_scope": "utter_out_of_scope",
              "greet": "utter_greet_in_form", "thank": "utter_thank_in_form"}
# "算投诉吧 / 就按投诉来" inside the complaint form: the citizen confirms the task, whatever the NLU read.
GOING_ON = {"complaint_form": "好的，按投诉为您登记。"}


def confirms_own_task(form: str, text: str) -> bool:
    """The message names the task of the form it is in, without stopping it (算投诉吧, not 不投诉了)."""
    return form in GOING_ON and task_named(text) == form and not wants_out(text)


def _going_on(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Says the form goes on when the message confirms its task; whether it did."""
    form = tracker.active_loop.get("name") or ""
    if not confirms_own_task(form, text_of(tracker)):
        return False
    dispatcher.utter_message(text=GOING_ON[form])
    return True


class ActionStopForm(SafeAction):
    """Stops the active form and forgets what it had collected (算了 / 不办了 / 再见)."""

    def name(self) -> Text:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        form = tracker.active_loop.get("name")
        if _going_on(dispatcher, tracker):
            return [FollowupAction(form)]  # the form asks its question again (the last action was not a listen)
        if form != "cancel_form" and asks_about_bookings(text_of(tracker)) and not wants_out(text_of(tracker)):
            return await _bookings_then_back(dispatcher, tracker, domain, form)
        to_person = intent_of(tracker) == "human_handoff" or wants_human(text_of(tracker))
        if not to_person and form in STOPPED:
            dispatcher.utter_message(response=STOPPED[form])
        return stop_events(domain, form)  # a form this one had paused resumes (SafeAction, TASK_ENDS)


async def _bookings_then_back(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict,
                              form: str) -> List[EventType]:
    """"我之前约的那个还在吗" inside a form, read by the NLU as leaving it: the citizen's bookings,
    then the form asks its question again (it does not read this message: the last action was not a listen)."""
    await ActionListBookings().run(dispatcher, tracker, domain)
    return [FollowupAction(form)]


class ActionFormInterruption(SafeAction):
    """Answers a side question inside a form; the form then asks its question again.

    Its turn is a repair turn (``actions.repair.times_asked_in_a_row``): the re-ask that follows
    is not counted as another ask of the question.
    """

    def name(self) -> Text:
        return "action_form_interruption"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        intent = intent_of(tracker)
        paused = pause_for_other_task(tracker.active_loop.get("name") or "", tracker)
        if paused:  # another task: the form waits, keeping its slots (actions/interruption.py)
            return paused
        if _going_on(dispatcher, tracker):
            return []
        if intent == "ask_guide" or asks_guide(text_of(tracker)):
            events = await ActionAnswerGuide().run(dispatcher, tracker, domain)
            return [e for e in events if e.get("name") not in ("choice_kind", "choice_options")]
        if intent == "rate_service":
            return await ActionRateService().run(dispatcher, tracker, domain)
        if intent == "query_appointment" or asks_about_bookings(text_of(tracker)):  # 我约的是哪天: answered
            await ActionListBookings().run(dispatcher, tracker, domain)
            return []
        if intent in SMALL_TALK:
            dispatcher.utter_message(response=SMALL_TALK[intent])
        elif not (tracker.active_loop.get("name") == "appointment_form" and wants_out(text_of(tracker))):
            dispatcher.utter_message(text="抱歉，没太明白您的回答。不想继续可以回复“算了”，需要人工帮助请回复“转人工”。")
        return []
