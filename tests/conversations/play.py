"""Whole conversations, played through the running assistant and checked where they end.

Each file here (``*.yml``) lists conversations: what a citizen types, turn by turn, and where the
conversation must end (a booking made or not, with its day, hour, hall and phone; a given booking
cancelled or kept; a status shown; a complaint stored with its contact; a handoff; how many
questions the bot asked). The format is in ``README.md`` beside this file. The test suite
(``tests/test_conversations.py``) and the benchmark (``benchmarks/conversations.py``) both play
them with this module, against ``govbot.stack`` at a fixed China clock.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

import requests
import yaml

from govbot.clock import parse_start
from govbot.stack import Stack

HERE = Path(__file__).resolve().parent
# Tuesday morning, and 00:30 on Wednesday in China (still Tuesday 16:30 in UTC): relative days
# said at night count from China's date.
CLOCKS = {"day": "2026-12-08T10:00:00+08:00", "night": "2026-12-09T00:30:00+08:00"}
CASES = ("happy", "correction", "cancellation", "skip", "chitchat", "digression", "clarification",
         "internal_error", "cannot_handle", "handoff", "repeat", "completion", "interruption")
# What the portal keeps per citizen; emptied before each conversation so that none meets another's
# bookings, full slots or counted attempts (the demo applications and the catalog stay).
PER_CITIZEN_TABLES = ("bookings", "slot_usage", "attempt_counters", "contact_handles", "evaluations", "complaints")
STATUS_SHOWN = "当前进度"
MAX_SAME_QUESTION = 2


class Citizen(Protocol):
    sender: str

    def says(self, text: str) -> str: ...


@dataclass(frozen=True)
class Turn:
    say: str
    reply_has: Tuple[str, ...] = ()
    reply_lacks: Tuple[str, ...] = ()
    portal: str = ""  # "down" / "up": the portal stops answering (or answers again) from this turn on


@dataclass(frozen=True)
class Conversation:
    name: str
    case: str
    turns: Tuple[Turn, ...]
    expect: Dict[str, Any]
    given: Dict[str, Any] = field(default_factory=dict)
    fast_path: bool = False  # the first message gives item, day and part of day
    xfail: Dict[str, str] = field(default_factory=dict)  # clock -> why it fails there today
    source: str = ""

    def known_failure(self, clock: str) -> str:
        """Why this conversation is expected to fail at ``clock`` today ("" if it must pass)."""
        return self.xfail.get(clock, "")

    @property
    def books(self) -> bool:
        return isinstance(self.expect.get("booking"), dict)


def _turn(raw: Any) -> Turn:
    if isinstance(raw, str):
        return Turn(raw)
    texts = {key: tuple(map(str, raw.get(key) or ())) for key in ("reply_has", "reply_lacks")}  # 12345 is text
    return Turn(str(raw["say"]), texts["reply_has"], texts["reply_lacks"], str(raw.get("portal") or ""))


def _xfail(raw: Any) -> Dict[str, str]:
    """``xfail: reason`` (at every clock) or ``xfail: {night: reason}`` (at that clock only)."""
    if not raw:
        return {}
    if isinstance(raw, dict):
        unknown = set(raw) - set(CLOCKS)
        if unknown:
            raise ValueError(f"xfail names unknown clocks {sorted(unknown)}")
        return {str(clock): str(reason) for clock, reason in raw.items()}
    return {clock: str(raw) for clock in CLOCKS}


def load(folder: Path = HERE) -> List[Conversation]:
    """Every conversation of every ``*.yml`` in ``folder``, in file order."""
    suite: List[Conversation] = []
    for path in sorted(folder.glob("*.yml")):
        for raw in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("conversations", []):
            suite.append(Conversation(name=str(raw["name"]), case=raw.get("case", "happy"),
                                      turns=tuple(_turn(t) for t in raw["turns"]), expect=raw.get("expect") or {},
                                      given=raw.get("given") or {}, fast_path=bool(raw.get("fast_path")),
                                      xfail=_xfail(raw.get("xfail")), source=path.name))
    return suite


def today_of(clock: str) -> date:
    return parse_start(clock).date()


def expected_day(spec: Dict[str, Any], today: date) -> Optional[date]:
    """``day: +N`` (China calendar days after today), ``day: 2026-12-10``, or ``weekday: 1-7``
    (the next such day after today)."""
    if "day" in spec:
        value = spec["day"]
        if isinstance(value, date):
            return value
        text = str(value)
        return today + timedelta(days=int(text)) if text.lstrip("+-").isdigit() else date.fromisoformat(text)
    if "weekday" in spec:
        ahead = (int(spec["weekday"]) - today.isoweekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    return None


# --- the portal's records -------------------------------------------------------------------

class PortalRecords:
    """The reference portal's database of one stack, read (and emptied between conversations)
    directly: what was really booked, cancelled and filed, whatever the bot said."""

    def __init__(self, stack: Stack):
        self.path = stack.database_url.split("sqlite:///", 1)[1]
        self.stack = stack

    def _rows(self, sql: str, *args: Any) -> List[Dict[str, Any]]:
        with sqlite3.connect(self.path, timeout=10) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]

    def reset(self) -> None:
        with sqlite3.connect(self.path, timeout=10) as db:
            for table in PER_CITIZEN_TABLES:
                db.execute(f"DELETE FROM {table}")  # nosec B608  # table names are constants above

    def bookings(self, openid: str) -> List[Dict[str, Any]]:
        return self._rows("SELECT * FROM bookings WHERE openid = ? AND status = 'booked'", openid)

    def booking(self, number: str) -> Optional[Dict[str, Any]]:
        rows = self._rows("SELECT * FROM bookings WHERE booking_no = ?", number)
        return rows[0] if rows else None

    def complaints(self, openid: str) -> List[Dict[str, Any]]:
        return self._rows("SELECT * FROM complaints WHERE openid = ?", openid)

    def book(self, spec: Dict[str, Any], openid: Optional[str], today: date) -> str:
        """Makes a ``given`` booking as the web or WeChat would have; returns its number."""
        item = spec["item"]
        hall = spec.get("hall") or self._first_hall(item)
        day = expected_day(spec, today) or today + timedelta(days=1)
        request = {"item_code": item, "hall_code": hall, "date": day.isoformat(), "hour": int(spec.get("hour", 10)),
                   "name": spec.get("name", "王小明"), "phone": str(spec.get("phone", "13900001111")),
                   "openid": openid}
        response = requests.post(f"{self.stack.portal_url}/api/v1/appointments", json=request, timeout=10,
                                 headers={**self.stack.portal_bot_headers, "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code in (200, 201), f"given booking refused: {response.text}"
        return response.json()["booking_no"]

    def _first_hall(self, item: str) -> str:
        guide = requests.get(f"{self.stack.portal_url}/api/v1/guides/{item}", timeout=10,
                             headers=self.stack.portal_bot_headers).json()
        return guide["halls"][0]["code"]


# --- playing --------------------------------------------------------------------------------

@dataclass
class Outcome:
    replies: List[str]
    bookings: List[Dict[str, Any]]
    given_booking: Optional[Dict[str, Any]]
    complaints: List[Dict[str, Any]]
    handoff: bool
    questions: List[str]  # the form question pending after each turn ("" when none)
    paused: List[bool] = field(default_factory=list)  # whether staff had the conversation before each turn
    seconds: float = 0.0

    @property
    def status_shown(self) -> bool:
        return any(STATUS_SHOWN in reply for reply in self.replies)

    @property
    def longest_repeat(self) -> int:
        """The most times one question was asked in a row."""
        longest = run = 0
        for before, now in zip([""] + self.questions, self.questions, strict=False):
            run = run + 1 if now and now == before else (1 if now else 0)
            longest = max(longest, run)
        return longest

    @property
    def question_count(self) -> int:
        return sum(1 for q in self.questions if q)


def play(conversation: Conversation, stack: Stack, citizen: Citizen, today: date) -> Outcome:
    """Plays ``conversation`` as ``citizen`` from a portal with no earlier citizen records."""
    records = PortalRecords(stack)
    records.reset()
    given_no = None
    if "booking" in conversation.given:
        spec = conversation.given["booking"]
        given_no = records.book(spec, citizen.sender if spec.get("via", "wechat") == "wechat" else None, today)
    started = time.monotonic()
    portal = PortalSwitch(stack, down=conversation.given.get("portal") == "down")
    try:
        replies = []
        for turn in conversation.turns:
            portal.set(turn.portal)
            replies.append(citizen.says(turn.say.replace("{booking_no}", given_no or "")))
    finally:
        portal.set("up")
    seconds = time.monotonic() - started
    events = requests.get(stack.rasa_api(f"/conversations/{citizen.sender}/tracker"), timeout=10).json()["events"]
    questions, paused = turn_states(events)
    return Outcome(replies=replies,
                   bookings=[b for b in records.bookings(citizen.sender) if b["booking_no"] != given_no],
                   given_booking=records.booking(given_no) if given_no else None,
                   complaints=records.complaints(citizen.sender),
                   handoff=any(paused) or any(e.get("event") == "pause" for e in events),
                   questions=questions, paused=paused, seconds=seconds)


class PortalSwitch:
    """Makes the portal stop answering (SIGSTOP: connections hang, as with a stuck backend) and
    answer again; the action server meets its own timeout, as it would in production."""

    def __init__(self, stack: Stack, down: bool = False):
        self.pid, self.down = stack.pids["portal"], False
        self.set("down" if down else "")

    def set(self, state: str) -> None:
        if state in ("down", "up") and (state == "down") != self.down:
            os.kill(self.pid, signal.SIGSTOP if state == "down" else signal.SIGCONT)
            self.down = state == "down"


def turn_states(events: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[bool]]:
    """For each citizen message: the form question the bot left pending after answering it, and
    whether the conversation was with staff (paused) when it arrived."""
    pending: List[str] = []
    paused_before: List[bool] = []
    requested, loop, paused = "", "", False
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if paused_before:
                pending.append(requested if loop else "")
            paused_before.append(paused)
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value") or ""
        elif kind == "active_loop":
            loop = event.get("name") or ""
        elif kind in ("pause", "resume"):
            paused = kind == "pause"
    if paused_before:
        pending.append(requested if loop else "")
    return pending, paused_before


# --- checking -------------------------------------------------------------------------------

def failures(conversation: Conversation, outcome: Outcome, today: date) -> List[str]:
    """What did not end as expected, in words; empty when the conversation finished as meant."""
    found = _turn_failures(conversation, outcome)
    expect = conversation.expect
    if "booking" in expect:
        found += _booking_failures(expect["booking"], outcome.bookings, today)
    if "given_booking" in expect:
        status = (outcome.given_booking or {}).get("status")
        wanted = {"cancelled": "cancelled", "kept": "booked"}[expect["given_booking"]]
        if status != wanted:
            found.append(f"given booking is {status}, expected {expect['given_booking']}")
    if "status_shown" in expect and outcome.status_shown != bool(expect["status_shown"]):
        found.append(f"status shown: {outcome.status_shown}, expected {expect['status_shown']}")
    if "complaint" in expect:
        found += _complaint_failures(expect["complaint"], outcome.complaints)
    if "handoff" in expect and outcome.handoff != bool(expect["handoff"]):
        found.append(f"handoff: {outcome.handoff}, expected {expect['handoff']}")
    if "max_questions" in expect and outcome.question_count > int(expect["max_questions"]):
        found.append(f"{outcome.question_count} questions asked, at most {expect['max_questions']} expected")
    if outcome.longest_repeat > MAX_SAME_QUESTION:
        found.append(f"a question was asked {outcome.longest_repeat} times in a row: {outcome.questions}")
    return found


def _turn_failures(conversation: Conversation, outcome: Outcome) -> List[str]:
    found = []
    paused = outcome.paused + [False] * (len(outcome.replies) - len(outcome.paused))
    for number, (turn, reply) in enumerate(zip(conversation.turns, outcome.replies, strict=False), start=1):
        if not reply.strip() and not paused[number - 1]:
            found.append(f"turn {number} ({turn.say!r}): no reply at all")
        missing = [text for text in turn.reply_has if text not in reply]
        unwanted = [text for text in turn.reply_lacks if text in reply]
        if missing or unwanted:
            found.append(f"turn {number} ({turn.say!r}): missing {missing}, unwanted {unwanted} in {reply!r}")
    return found


def _booking_failures(expected: Any, rows: List[Dict[str, Any]], today: date) -> List[str]:
    if not isinstance(expected, dict):  # booking: none
        return [f"expected no booking, found {_describe(rows)}"] if rows else []
    if len(rows) != 1:
        return [f"expected one booking, found {_describe(rows)}"]
    row, found = rows[0], []
    for key, column in (("item", "item_code"), ("hall", "hall_code"), ("name", "name")):
        if key in expected and row[column] != expected[key]:
            found.append(f"booking {key} {row[column]}, expected {expected[key]}")
    if "phone" in expected and row["phone"] != str(expected["phone"]):
        found.append(f"booking phone {row['phone'][:3]}…{row['phone'][-4:]}, expected {expected['phone']}")
    day = expected_day(expected, today)
    if day and row["day"] != day.isoformat():
        found.append(f"booking day {row['day']}, expected {day.isoformat()}")
    if "hour" in expected and row["hour"] != int(expected["hour"]):
        found.append(f"booking hour {row['hour']}, expected {expected['hour']}")
    if "hours" in expected and not int(expected["hours"][0]) <= row["hour"] < int(expected["hours"][1]):
        found.append(f"booking hour {row['hour']}, expected within {expected['hours']}")
    return found


def _complaint_failures(expected: Any, rows: List[Dict[str, Any]]) -> List[str]:
    if not isinstance(expected, dict):  # complaint: none
        return [f"expected no complaint, found {len(rows)}"] if rows else []
    if not rows:
        return ["expected a complaint, none stored"]
    contact = str(expected.get("contact") or "")
    contacts = [str(row.get("contact_phone") or row.get("contact") or "") for row in rows]
    if contact and not any(contact in stored for stored in contacts):
        return [f"complaint contact {contacts}, expected {contact}"]
    return []


def _describe(rows: List[Dict[str, Any]]) -> str:
    return str([f"{r['item_code']} {r['hall_code']} {r['day']} {r['hour']}:00" for r in rows])


def report(conversation: Conversation, outcome: Outcome, problems: List[str]) -> str:
    """The transcript and what went wrong, for a failing test or the benchmark's list."""
    lines = [f"{conversation.source} · {conversation.name} [{conversation.case}]"]
    for turn, reply in zip(conversation.turns, outcome.replies, strict=False):
        lines += [f"  市民：{turn.say}", *(f"  助手：{line}" for line in reply.splitlines())]
    return "\n".join(lines + [f"  ✗ {problem}" for problem in problems])

