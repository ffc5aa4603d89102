"""Every offer the bot makes that invites a numbered or yes/no reply takes "1", "第一个", "一",
"1.", "①", "第1个", "要第一个" as its first option, run against the real portal (issue 9, point 6:
"1" to the booking offer raised a KeyError and the citizen got no reply)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import CONTACT_OFFERED, ValidateAppointmentForm, ValidateCancelForm
from actions.common import SORRY_PORTAL_DOWN
from actions.handoff import TOPICS
from actions.replies import ActionHandleReply
from tests.actions.conftest import DOMAIN, make_tracker, slot_events, texts

FIRST = ["1", "第一个", "一", "1.", "①", "第1个", "要第一个"]
FORMS = {"forms": {"appointment_form": {"required_slots": [
    "appt_item", "appt_hall", "appt_date", "appt_hour", "appt_name", "appt_phone", "appt_confirmed"]},
    "cancel_form": {"required_slots": ["cancel_booking_no", "cancel_confirmed"]}}, "slots": {}}
DOMAIN_DIR = Path(__file__).resolve().parents[2] / "bot" / "domain"


def greeted(text: str, slots: Optional[Dict[str, Any]] = None) -> Any:
    """The tracker right after the welcome menu (utter_greet) and the citizen's reply."""
    events = [{"event": "action", "name": "utter_greet"}, {"event": "bot", "text": "您好！…"},
              {"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    return make_tracker(text, "inform", slots=slots, events=events)


async def reply(tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = await ActionHandleReply().run(dispatcher, tracker, DOMAIN)
    return events, texts(dispatcher)


def followup(events: List[Dict[str, Any]]) -> Optional[str]:
    return next((e["name"] for e in events if e.get("event") == "followup"), None)


# --- offers answered outside a form (action_handle_reply) -------------------------------------

@pytest.mark.parametrize("text", FIRST)
async def test_booking_offer_after_a_guide_answer(client, text):
    events, said = await reply(make_tracker(text, "inform", slots={
        "choice_kind": "offer_booking", "choice_options": ["GA-0003"], "item_code": "GA-0003"}))
    assert SORRY_PORTAL_DOWN not in said
    assert slot_events(events)["appt_item"] == "GA-0003" and followup(events) == "appointment_form"


@pytest.mark.parametrize("text", FIRST)
async def test_candidate_list_of_items(client, text):
    events, said = await reply(make_tracker(text, "inform", slots={
        "choice_kind": "item", "choice_options": ["GA-0002", "GA-0003"]}))
    assert "居民身份证" in said and slot_events(events)["item_code"] == "GA-0002"


@pytest.mark.parametrize("text", FIRST)
async def test_fallback_topics(client, text):
    events, _ = await reply(make_tracker(text, "inform", slots={
        "choice_kind": "topic", "choice_options": [intent for _, intent in TOPICS]}))
    assert followup(events) == "utter_ask_which_item"


@pytest.mark.parametrize("text", FIRST)
async def test_second_miss_offer_of_a_human(client, text):
    events, _ = await reply(make_tracker(text, "inform", slots={
        "choice_kind": "topic", "choice_options": ["human_handoff"]}))
    assert followup(events) == "action_handoff"


@pytest.mark.parametrize("text", FIRST)
async def test_welcome_menu_of_the_greeting(client, text):
    events, _ = await reply(greeted(text))
    assert followup(events) == "utter_ask_which_item"


async def test_welcome_menu_numbers_mean_the_topics_listed():
    greeting = yaml.safe_load((DOMAIN_DIR / "_shared.yml").read_text("utf-8"))["responses"]["utter_greet"][0]["text"]
    for number, (label, _) in enumerate(TOPICS, start=1):
        assert f"{number}. {label}" in greeting
    events, _ = await reply(greeted("第二个"))
    assert followup(events) == "appointment_form"
    stale = {"choice_kind": "offer_booking", "choice_options": ["GA-0003"]}  # offered before the greeting
    events, _ = await reply(greeted("3", stale))
    assert followup(events) == "status_form"


# --- offers inside the booking and cancel forms (validate_*_form, the whole validation run) ---

async def validate(action, text: str, slots: Dict[str, Any], form: str, intent: str = "inform") -> tuple:
    tracker = make_tracker(text, intent, slots=slots, active_loop=form)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, FORMS)
    return slot_events(events), texts(dispatcher)


async def free_slot(client, item="GA-0003", hall="SMZX") -> Dict[str, Any]:
    return next(s for s in await client.slots(item, hall) if s["available"])


@pytest.mark.parametrize("text", FIRST)
async def test_item_candidates_in_the_booking_form(client, text):
    slots, _ = await validate(ValidateAppointmentForm(), text, {
        "requested_slot": "appt_item", "choice_kind": "appt_item", "choice_options": ["CRJ-0001", "CRJ-0002"]},
        "appointment_form")
    assert slots["appt_item"] == "CRJ-0001"


@pytest.mark.parametrize("text", FIRST)
async def test_hall_list(client, text):
    slots, _ = await validate(ValidateAppointmentForm(), text, {"requested_slot": "appt_hall",
                                                               "appt_item": "GA-0003"}, "appointment_form")
    assert slots["appt_hall"] == "SMZX"


@pytest.mark.parametrize("text", FIRST)
async def test_day_list(client, text):
    free = await free_slot(client)
    slots, said = await validate(ValidateAppointmentForm(), text, {
        "requested_slot": "appt_date", "appt_item": "GA-0003", "appt_hall": "SMZX",
        "choice_kind": "appt_date", "choice_options": [free["date"]]}, "appointment_form")
    assert slots["appt_date"] == free["date"], said


@pytest.mark.parametrize("text", FIRST)
async def test_hour_list(client, text):
    free = await free_slot(client)
    slots, said = await validate(ValidateAppointmentForm(), text, {
        "requested_slot": "appt_hour", "appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": free["date"],
        "choice_kind": "appt_hour", "choice_options": [float(free["hour"])]}, "appointment_form")
    assert slots["appt_hour"] == float(free["hour"]) and slots.get("appt_date", free["date"]) == free["date"], said


@pytest.mark.parametrize("text", FIRST)
async def test_contact_of_the_last_booking(client, text):
    slots, _ = await validate(ValidateAppointmentForm(), text, {
        "requested_slot": "appt_name", "appt_item": "GA-0003", "appt_hall": "SMZX",
        "choice_kind": CONTACT_OFFERED, "choice_options": [["王小明", "13812345678"]]}, "appointment_form")
    assert (slots["appt_name"], slots["appt_phone"]) == ("王小明", "13812345678")


@pytest.mark.parametrize("text", FIRST)
async def test_booking_read_back(client, text):
    free = await free_slot(client)
    slots, said = await validate(ValidateAppointmentForm(), text, {
        "requested_slot": "appt_confirmed", "appt_item": "GA-0003", "appt_hall": "SMZX", "appt_date": free["date"],
        "appt_hour": float(free["hour"]), "appt_name": "王小明", "appt_phone": "13812345678"}, "appointment_form")
    assert slots["appt_confirmed"] is True, said
    assert slots.get("appt_date", free["date"]) == free["date"] and slots.get("appt_hour", 1.0) is not None


@pytest.mark.parametrize("text", FIRST)
async def test_cancel_list(client, text):
    slots, _ = await validate(ValidateCancelForm(), text, {
        "requested_slot": "cancel_booking_no", "choice_kind": "cancel_booking_no",
        "choice_options": ["YY0001", "YY0002"]}, "cancel_form")
    assert slots["cancel_booking_no"] == "YY0001"


@pytest.mark.parametrize("text", FIRST)
async def test_cancel_confirmation(client, text):
    slots, _ = await validate(ValidateCancelForm(), text, {
        "requested_slot": "cancel_confirmed", "cancel_booking_no": "YY0001"}, "cancel_form")
    assert slots["cancel_confirmed"] is True


@pytest.mark.parametrize("text, intent, action", [
    ("再说一遍", "inform", "action_repeat"), ("没看清 重复一下", "deny", "action_repeat"),
    ("人工呢", "inform", "action_handoff"), ("找你们领导来", "deny", "action_handoff"),
    ("轉人工", "affirm", "action_handoff")])
async def test_repeat_and_a_person_outside_a_form_whatever_the_intent(client, text, intent, action):
    events, said = await reply(make_tracker(text, intent, slots={
        "choice_kind": "offer_booking", "choice_options": ["GA-0003"], "item_code": "GA-0003"}))
    assert followup(events) == action and said == ""
