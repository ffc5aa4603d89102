"""Another task in the middle of a form, then back to the form where it was.

A citizen asked for a name by the booking form may say "等一下 先帮我查查SQ20261118000123",
or "我要投诉 ...", or, asked for the last four digits by the status form, "先帮我约明天下午补身份证".
That message starts the other task: the form in progress is *paused* (it ends, keeping its
slots), the other task runs as it would on its own (``status_form``, ``complaint_form``,
``appointment_form``: nothing of theirs is repeated here), and when it ends (its result shown,
or stopped by the citizen) the paused form is *resumed*: "我们接着刚才的预约。" and the form asks
its next question again, with everything collected before.

How it works in Rasa 3.6 (rasa/core/actions/forms.py, loops.py), with no slot or rule of its own:

- pause: the form's validation (``actions.form_repair.off_path``) or ``action_form_interruption``
  returns ``requested_slot=None``, ``ActiveLoop(None)`` and ``FollowupAction(<other form>)``; the
  other form activates and reads the message (the number, the complaint, the day and item);
- which form is paused is read back from the events (``paused_forms``): a form closed and, in
  the same action, a follow-up to another form;
- resume: the action that ends a task (``TASK_ENDS``) adds ``FollowupAction(<paused form>)``;
  Rasa activates the form, whose validation does not read the message that the other task has
  already answered (``resume_reads_message``), so the form only asks its next question.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_facts import names_service
from actions.common import intent_of, text_of
from actions.repair import plain, wants_human, wants_out
from actions.task_words import wants_booking
from actions.values import application_id

TASK_FORMS = ("appointment_form", "status_form", "complaint_form", "cancel_form")
# The actions that end a task with its result: the message they answered is not read again.
TASK_RESULTS = ("action_show_status", "action_register_complaint", "action_submit_booking", "action_cancel_booking")
# After these the paused form resumes (a result, or the other task stopped by the citizen).
TASK_ENDS = (*TASK_RESULTS, "action_stop_form")
RESUMED = {"appointment_form": "好的，我们接着刚才的预约。", "status_form": "好的，我们接着刚才的进度查询。",
           "complaint_form": "好的，我们接着刚才的投诉。", "cancel_form": "好的，我们接着刚才的取消预约。"}

# The words that say which other task a message starts.
_STATUS_WORDS = re.compile(r"查|进度|咋样|怎么样|怎样|到哪|办得|办好|状态|结果|好了没")
_COMPLAINT_WORDS = re.compile(r"投诉|举报")
_NOT_COMPLAINT = re.compile(r"不(想|要)?(再)?(投诉|举报)|投诉(电话|热线|渠道)")


# --- which task a message starts --------------------------------------------------------------

def _asks_status(text: str) -> bool:
    """An application number with a question about it (查 / 进度 / 咋样) or alone."""
    number = application_id(text)
    if not number:
        return False
    rest = plain(text).upper().replace(number, "")
    return bool(_STATUS_WORDS.search(rest)) or len(rest) <= 8


def complains(text: str) -> bool:
    """The message says it is a complaint (投诉 / 举报), not that it is not one."""
    said = plain(text)
    return bool(_COMPLAINT_WORDS.search(said)) and not _NOT_COMPLAINT.search(said)


def other_task(form: str, requested: Optional[str], text: str, intent: str) -> Optional[str]:
    """The form of the other task that ``text`` starts inside ``form``, or None.

    Only clear signals count, whatever the NLU says alone: an application number asked about
    (status), the word 投诉 (complaint), a booking asked for with 约 (booking). While the complaint
    is being told, only a status question interrupts: the story may speak of bookings."""
    if wants_human(text) or wants_out(text):
        return None
    telling = requested == "complaint_text"
    if form != "status_form" and _asks_status(text) and not (telling and complains(text)):
        return "status_form"
    if telling:
        return None
    if form != "complaint_form" and complains(text):
        return "complaint_form"
    if form not in ("appointment_form", "cancel_form") and intent == "book_appointment" and wants_booking(text):
        return "appointment_form"
    return None


_GUIDE_QUESTION = re.compile(r"怎么|如何|要带|带什么|什么材料|哪些材料|多少钱|收费吗|在哪|哪里|流程|条件|需要什么|"
                             r"能不能|可以.{0,8}吗|要多久|几天")


def asks_guide(text: str) -> bool:
    """A question about a service (公积金怎么提取 / 结婚登记要带什么): answered, then the form asks
    its question again (``action_form_interruption``); never read as an answer (not a name)."""
    return names_service(text) and bool(_GUIDE_QUESTION.search(plain(text)))


def side_question(requested: Optional[str], text: str) -> bool:
    """A guide question where the form asked for something else than the item or a yes/no, and no
    complaint is being told: the form leaves the message to ``action_form_interruption``."""
    if not requested or requested in ("appt_item", "complaint_text") or requested.endswith("_confirmed"):
        return False
    return asks_guide(text)


def pause_events(task: str) -> List[EventType]:
    """Ends the form in progress, keeping its slots, and starts ``task`` on the same message."""
    return [SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction(task)]


def pause_for_other_task(form: str, tracker: Tracker) -> Optional[List[EventType]]:
    """The pause events when the latest message starts another task inside ``form``."""
    requested = tracker.get_slot("requested_slot")
    if form not in TASK_FORMS or not requested:  # the message that opens a form is that form's
        return None
    task = other_task(form, requested, text_of(tracker), intent_of(tracker))
    return pause_events(task) if task else None


# --- which form is paused, read from the events -----------------------------------------------

def _scan(events: Sequence[Dict[str, Any]]) -> Tuple[List[str], Set[str]]:
    """The paused forms after ``events``, innermost last, and the forms that were paused at some
    point since the citizen's latest message.

    A form is paused when it closes and the same action follows up with another task's form; it
    stops being paused when it is active again. A pause nobody came back from (the other task went
    to staff, or ended some other way) is forgotten at the next message that finds no form active."""
    paused: List[str] = []
    since_message: Set[str] = set()
    active: Optional[str] = None
    closed: Optional[str] = None
    for event in events:
        kind, name = event.get("event"), event.get("name")
        if kind in ("session_started", "restart"):
            paused, active, closed = [], None, None
        elif kind == "user":
            paused = paused if active else []
            since_message = set(paused)
        elif kind == "action":
            closed = None
        elif kind == "active_loop":
            closed = active if name is None and active else closed
            active = name
            if name in paused:
                paused.remove(name)
        elif kind == "followup" and name in TASK_FORMS and closed and {closed, name}.isdisjoint(paused) \
                and closed != name:  # a follow-up to a paused form is its resume, not another pause
            paused.append(closed)
            since_message.add(closed)
    return paused, since_message


def paused_form(tracker: Tracker) -> Optional[str]:
    """The form to come back to when the current task ends, if any."""
    paused, _ = _scan(tracker.events)
    return paused[-1] if paused else None


def resuming(tracker: Tracker, form: str) -> bool:
    """Whether ``form`` runs now because it is being resumed (it was paused since the citizen's
    latest message): its validation then reads that message differently."""
    return form in _scan(tracker.events)[1]


def _actions_this_turn(tracker: Tracker) -> List[str]:
    names: List[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "action":
            names.append(event.get("name") or "")
    return names


def resume_reads_message(tracker: Tracker) -> bool:
    """A form resumed after the other task's result does not read the message that task answered
    ("5678" was the status check, not a name). Resumed because the citizen stopped the other task,
    it reads the rest of the message ("算了不查了 把社保卡约了吧 江涛 136...")."""
    return not any(name in TASK_RESULTS for name in _actions_this_turn(tracker))


_OUT_WORDS = re.compile(r"(不|别|甭|先不|暂时不|还是不|暂不|就不|不想)(想|要|用|打算|准备)?(再)?(去)?"
                        r"(查|投诉|反映|问|取消)了|(那就?|哎|唉|好吧|还是|要不|就)?算了")


def read_rest_as_answer(tracker: Tracker) -> None:
    """Makes the resumed form read the message without the words that stopped the other task,
    as a plain answer (the NLU's intent was about stopping, e.g. ``cancel_appointment``)."""
    latest = dict(tracker.latest_message or {})
    latest["text"] = _OUT_WORDS.sub(" ", latest.get("text") or "").strip()
    latest["intent"] = {"name": "inform", "confidence": 1.0}
    tracker.latest_message = latest


def resume_events(dispatcher: CollectingDispatcher, tracker: Tracker,
                  events: Sequence[EventType] = ()) -> List[EventType]:
    """Comes back to the paused form after a task ended, unless ``events`` already go on with a
    form, or the citizen leaves (goodbye, a person)."""
    form = paused_form(tracker)
    if form is None or intent_of(tracker) in ("goodbye", "human_handoff") or wants_human(text_of(tracker)):
        return []
    if any(e.get("event") == "followup" or (e.get("event") == "active_loop" and e.get("name")) for e in events):
        return []
    dispatcher.utter_message(text=RESUMED.get(form, "好的，我们接着刚才的事办。"))
    return [FollowupAction(form)]
