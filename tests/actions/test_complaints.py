"""Complaints with a way back: the complaint, then a phone or "reply here", stored together with
the portal; the citizen hears the reference, the answer day and how the answer will come."""
from __future__ import annotations

import logging
import re

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day_label
from actions.feedback import IN_CHAT, ActionRegisterComplaint, ValidateComplaintForm, skips_contact
from actions.gov_api import GovApi
from actions.handoff import ActionHandoff
from tests.actions.conftest import make_tracker, slot_events, texts
from tests.actions.test_handoff import domain

COMPLAINT = "东城区大厅窗口工作人员态度很差，让我跑了三趟"
PHONE = "13912345678"
SKIPS = ["不用了", "不用", "就微信回复吧", "微信联系就行", "在这里回复就好", "不留了", "不方便留", "没有手机",
         "不需要", "微信上说吧", "否", "跳过", "跳过吧", "这个跳过", "先跳过", "略过"]


async def validate(text: str, requested: str, intent: str = "inform", **held):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent, slots={"requested_slot": requested, **held}, active_loop="complaint_form")
    events = await ValidateComplaintForm().run(dispatcher, tracker, domain())
    return slot_events(events), texts(dispatcher), events


@pytest.mark.parametrize("text", [PHONE, "139 1234 5678", "电话13912345678", "我手机是139-1234-5678，打这个"])
async def test_the_phone_given_at_the_contact_question_is_the_contact(text):
    held, said, _ = await validate(text, "complaint_contact", complaint_text=COMPLAINT)
    assert held["complaint_contact"] == PHONE and said == ""


@pytest.mark.parametrize("text", SKIPS)
async def test_no_phone_means_the_answer_comes_in_this_chat_and_the_complaint_goes_on(text):
    assert skips_contact(text)
    held, _, events = await validate(text, "complaint_contact", complaint_text=COMPLAINT)
    assert held["complaint_contact"] == IN_CHAT
    assert not [e for e in events if e.get("event") in ("followup", "active_loop")]  # not a way out here


@pytest.mark.parametrize("text", ["不想说了，不投诉了", "算了不投诉了"])
async def test_giving_up_the_complaint_at_the_contact_question_still_stops_it(text):
    held, _, events = await validate(text, "complaint_contact", complaint_text=COMPLAINT)
    assert (held["complaint_text"] is None
            and [e["name"] for e in events if e["event"] == "followup"] == ["action_listen"])


@pytest.mark.parametrize("text, said", [("1391234567", "您发的是10位"), ("139123456789", "您发的是12位")])
async def test_a_number_that_is_not_a_phone_is_told_so(text, said):
    held, reply, _ = await validate(text, "complaint_contact", complaint_text=COMPLAINT)
    assert held["complaint_contact"] is None and said in reply and "11位" in reply


async def test_a_phone_sent_first_is_the_contact_not_the_complaint():
    held, _, _ = await validate(PHONE, "complaint_text")
    assert held.get("complaint_text") is None and held["complaint_contact"] == PHONE


async def test_a_complaint_that_carries_a_phone_fills_both():
    text = f"{COMPLAINT}，我电话{PHONE}"
    held, _, _ = await validate(text, "complaint_text", intent="complain")
    assert held["complaint_text"] == text and held["complaint_contact"] == PHONE


async def stored(portal_url: str, reference: str) -> dict:
    staff = GovApi(portal_url, "actions-test-admin-key")
    try:
        return await staff._call("GET", f"/api/v1/complaints/{reference}")
    finally:
        await staff.close()


async def register(contact: str, sender: str = "o_plaintiff") -> tuple:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots={"complaint_text": COMPLAINT, "complaint_contact": contact}, sender=sender)
    events = await ActionRegisterComplaint().run(dispatcher, tracker, domain())
    said = texts(dispatcher)
    return said, re.search(r"编号 (TS\d{14})", said).group(1), slot_events(events)


async def test_the_complaint_is_stored_with_the_phone_and_the_citizen_hears_when_and_how(client, portal_url, caplog):
    caplog.set_level(logging.DEBUG)
    said, reference, held = await register(PHONE)
    record = await stored(portal_url, reference)
    assert record["contact"] == PHONE and record["text"] == COMPLAINT and record["openid"] == "o_plaintiff"
    assert "5个工作日内" in said and f"即{day_label(record['answer_by'])}前" in said
    assert "139****5678" in said and PHONE not in said  # read back masked
    assert not [r for r in caplog.records if r.name.startswith("actions") and PHONE in r.getMessage()]
    assert held == {"complaint_text": None, "complaint_contact": None}


async def test_without_a_phone_the_answer_comes_to_the_openid(client, portal_url):
    said, reference, _ = await register(IN_CHAT, sender="o_wechat_only")
    record = await stored(portal_url, reference)
    assert record["contact"] is None and record["openid"] == "o_wechat_only"
    assert "答复会发到这个对话里" in said and "****" not in said


async def test_a_person_asked_for_after_the_complaint_was_told_keeps_the_complaint(client, portal_url):
    held, _, events = await validate("转人工", "complaint_contact", complaint_text=COMPLAINT)
    assert [e["name"] for e in events if e["event"] == "followup"] == ["action_handoff"]
    assert "complaint_text" not in held  # left for the handoff
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("转人工", slots={"complaint_text": COMPLAINT}, sender="o_impatient")
    after = slot_events(await ActionHandoff().run(dispatcher, tracker, domain()))
    reference = re.search(r"编号 (TS\d{14})", texts(dispatcher)).group(1)
    assert (await stored(portal_url, reference))["text"] == COMPLAINT
    assert "已为您转接人工服务" in texts(dispatcher)  # the console opened, see test_escalation.py
    assert after["complaint_text"] is None and "转人工”" not in texts(dispatcher)
