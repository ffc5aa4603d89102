"""``action_handoff`` opens the conversation in the console (real SQLite, the fixture
``staff_desk`` of conftest): the queue and the wait in staff hours, a ticket and the next opening
outside them (fixed China clock), the reason, asking twice is once, and the console out of reach."""
from __future__ import annotations

from datetime import datetime

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import CONSOLE_DOWN, ActionHandoff
from actions.staff_desk import use_staff_desk
from console.escalation import Escalations
from console.handoff import State
from govbot.clock import CHINA_TZ
from tests.actions.conftest import make_tracker, slot_events, texts


async def hand_over(sender: str, text: str = "转人工", **kwargs):
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, make_tracker(text, "human_handoff", sender=sender, **kwargs), {})
    return texts(dispatcher), events


async def test_in_staff_hours_the_citizen_waits_in_the_queue_and_hears_the_wait(staff_desk: Escalations):
    said, events = await hand_over("o_first", slots={"item_name": "居民身份证补领"})
    assert "您是下一位" in said and "3分钟内" in said and "12345" in said
    assert "pause" in [e.get("event") for e in events] and slot_events(events)["handoff_reason"] == "user_request"
    said, _ = await hand_over("o_second")
    assert "前面还有1位市民在等待" in said and "6分钟内" in said
    opened = await staff_desk.sessions.active("rest", "o_first")
    assert opened.state is State.WAITING and opened.reason == "user_request"
    assert opened.service_item == "居民身份证补领"
    assert opened.last_citizen_at is not None  # the request itself opens WeChat's reply window


async def test_asking_twice_is_one_session(staff_desk: Escalations):
    await hand_over("o_twice")
    said, _ = await hand_over("o_twice", "人工人工")
    assert "您是下一位" in said
    assert len(await staff_desk.sessions.in_state(State.WAITING)) == 1


async def test_outside_staff_hours_the_message_becomes_a_ticket_for_the_next_working_day(clock, staff_desk):
    clock.now = datetime(2026, 11, 27, 18, 30, tzinfo=CHINA_TZ)  # Friday evening
    said, events = await hand_over("o_evening")
    assert "非工作时间" in said and "11月30日（周一） 09:00" in said and "12345" in said
    session = await staff_desk.sessions.active("rest", "o_evening")
    assert session.state is State.TICKET
    assert [t.due_day.isoformat() for t in await staff_desk.sessions.tickets(session.id)] == ["2026-11-30"]
    assert "pause" in [e.get("event") for e in events]


async def test_a_person_after_a_bad_rating_is_kept_as_the_reason(staff_desk):
    before = [{"event": "action", "name": "action_rate_service"}, {"event": "bot", "text": "已记录您的评价：不满意。"},
              {"event": "action", "name": "action_listen"}]
    _, events = await hand_over("o_unhappy", events=before)
    assert slot_events(events)["handoff_reason"] == "rating"


class _Unreachable:
    async def escalate(self, *args, **kwargs):
        raise OSError("connection refused")


async def test_the_console_out_of_reach_is_an_apology_with_12345_and_the_bot_keeps_the_conversation():
    use_staff_desk(_Unreachable())  # type: ignore[arg-type]
    said, events = await hand_over("o_sorry")
    assert said == CONSOLE_DOWN and "12345" in said
    assert "pause" not in [e.get("event") for e in events]
