"""What every form does, before reading a message as an answer, when the message leaves the task.

Checked by ``SafeFormValidationAction`` (``actions/failsafe.py``) before any extraction, in every
form (booking, cancel, status, complaint), whatever intent the NLU gave the message:

- a person (转人工, 找你们领导): the form stops, its slots are forgotten, and ``action_handoff`` runs
  next (a ``FollowupAction``, so no rule of the finished form, such as submitting it, runs);
- a repeat (再说一遍): what the bot said before its question is sent again and the form asks its
  question again; nothing changes and the re-ask is not counted (``actions.repair``);
- a way out (算了, 不约了): the form's "stopped" reply, the form stops, slots forgotten; a form
  this one had paused is resumed (``actions/interruption.py``);
- a question about a service (公积金怎么提取) where a name, phone, day... was asked: not an
  answer; the form rejects it and ``action_form_interruption`` answers it;
- another task (an application number asked about, 投诉, 约 in another form): the form is paused,
  keeping its slots, and the other task starts on this message (``actions/interruption.py``).

How Rasa 3.6 takes these events (rasa/core/actions/forms.py, loops.py): the validation's events
are the form's; ``SlotSet("requested_slot", None)`` or ``ActiveLoop(None)`` make ``is_done`` true,
so the form adds ``ActiveLoop(None)`` and ends without asking. A validation that sets no slot
besides ``requested_slot`` makes the form reject the message, so every outcome here sets a slot.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CLEAR_CHOICE, intent_of, text_of
from actions.interruption import pause_for_other_task, resume_events, side_question
from actions.repair import last_bot_turn, plain, wants_human, wants_out, wants_repeat
from actions.task_words import speaks_of_existing_booking, wants_cancel

STOPPED = {"appointment_form": "utter_booking_stopped", "status_form": "utter_status_stopped",
           "complaint_form": "utter_complaint_stopped", "cancel_form": "utter_booking_kept"}
# In the cancel form "不约了 / 不去了 / 不要了" mean "cancel it", not "stop cancelling".
_NOT_OUT = {"cancel_form": re.compile(r"约|去|办|要了|取消|撤|退")}


def form_slots(domain: Dict, form: str) -> List[str]:
    return list(domain.get("forms", {}).get(form, {}).get("required_slots", []))


# What a person takes over: a complaint already told is stored by the handoff, not dropped.
KEPT_FOR_STAFF = ("complaint_text", "complaint_contact")


def stop_events(domain: Dict, form: str, keep: Sequence[str] = ()) -> List[EventType]:
    """Ends ``form`` and forgets what it had collected, but the slots in ``keep``."""
    resets = [SlotSet(slot, None) for slot in form_slots(domain, form) if slot not in keep]
    return [*resets, *CLEAR_CHOICE, SlotSet("requested_slot", None), ActiveLoop(None)]


# A complaint tells a story ("窗口说不办了就不办了", "说找领导也没用"): there, only a short message
# is a way out or a request for a person, or one that names the handoff outright.
NARRATIVE_SLOTS = ("complaint_text",)
SHORT = 12
_OUTRIGHT_HUMAN = re.compile(r"转人工|人工客服|人工服务|转接人工|真人客服|不(想|要)?(跟|和)?机器人|"
                             r"(叫|找|要)(个)?(真人|人工)|(叫|让)(你们)?(工作人员|领导|负责人)(来|过来|出来)")


def _story(requested: Optional[str], text: str) -> bool:
    return requested in NARRATIVE_SLOTS and len(plain(text)) > SHORT


def means_human(requested: Optional[str], text: str, intent: str) -> bool:
    if _story(requested, text):
        return bool(_OUTRIGHT_HUMAN.search(plain(text)))
    return wants_human(text) or intent == "human_handoff"


def means_out(form: str, requested: Optional[str], text: str) -> bool:
    """A way out, except where the form's own question reads such words as its answer:
    a confirmation (the read-back reads "算了/不约了" as no), the cancel form's verbs, a story."""
    if not requested or requested.endswith("_confirmed") or _story(requested, text) or not wants_out(text):
        return False
    return not (form in _NOT_OUT and _NOT_OUT[form].search(text))


def cancels_instead(requested: Optional[str], text: str) -> bool:
    """A booking form the NLU started, or asked into, for a message that cancels a booking made
    before (约了个号 想取消, 预约号YY… 取消): not at the read-back, where 取消 answers no."""
    if requested and requested.endswith("_confirmed"):
        return False
    return wants_cancel(text) and (not requested or speaks_of_existing_booking(text))


def repeat_before_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Sends again what the bot said before its last question; the form then asks the question."""
    for group in last_bot_turn(tracker)[:-1]:
        for message in group:
            dispatcher.utter_message(**{k: v for k, v in message.items() if v})


def off_path(form: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Optional[List[EventType]]:
    """The events for a message that leaves ``form``'s happy path, or None to read it as an answer."""
    text, requested = text_of(tracker), tracker.get_slot("requested_slot")
    if means_human(requested, text, intent_of(tracker)):
        return [*stop_events(domain, form, KEPT_FOR_STAFF), FollowupAction("action_handoff")]
    if requested and wants_repeat(text):
        repeat_before_question(dispatcher, tracker)
        return [SlotSet(requested, tracker.get_slot(requested))]
    if means_out(form, requested, text):
        if form in STOPPED:
            dispatcher.utter_message(response=STOPPED[form])
        stopped = stop_events(domain, form)
        return [*stopped, *(resume_events(dispatcher, tracker, stopped) or [FollowupAction("action_listen")])]
    if form == "appointment_form" and cancels_instead(requested, text):  # 我在网上约了个号 想取消
        return [*stop_events(domain, form), FollowupAction("cancel_form")]
    if side_question(requested, text):
        return []  # not an answer: the form rejects it, and the side-question rule answers it
    return pause_for_other_task(form, tracker)
