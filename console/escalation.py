"""A citizen asks for a person: the conversation opened in the console, with what the citizen is
told next (their place in the live queue and the expected wait, or outside staff hours when the
ticket is taken up). Used by ``action_handoff`` through the action server's injected instance."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from console.handoff import State
from console.hours import StaffHours
from console.messages import Direction, Transcripts
from console.sessions import Session, Sessions
from govbot.clock import china_now


@dataclass(frozen=True)
class Escalation:
    session: Session
    ahead: int  # citizens waiting before this one
    opens_at: Optional[datetime]  # outside staff hours: when staff take up the ticket; else None
    expected_wait: timedelta = timedelta(0)  # in staff hours: measured from recent claims (``waits``)


class Escalations:
    def __init__(self, sessions: Sessions, transcripts: Transcripts, hours: StaffHours,
                 now: Callable[[], datetime] = china_now):
        self.sessions = sessions
        self._transcripts = transcripts
        self._hours = hours
        self._now = now

    async def escalate(self, channel: str, sender_id: str, reason: str, service_item: Optional[str] = None,
                       message: Optional[str] = None, message_key: Optional[str] = None) -> Escalation:
        """Opens (or finds: asking twice is once) the citizen's session, with the message that asked
        (``message_key``: its id on the channel, stored once), which staff read first and which
        opens WeChat's reply window; raises the database's error when the console cannot be
        reached (the caller apologises)."""
        session = await self.sessions.open(channel, sender_id, reason, service_item)
        if message:
            await self._transcripts.add(session.id, Direction.CITIZEN, text=message, source_key=message_key)
        if session.state is State.TICKET:
            return Escalation(session, 0, self._hours.next_opening(self._now()))
        waiting = await self.sessions.in_state(State.WAITING)
        ahead = sum(1 for other in waiting if other.id < session.id)
        return Escalation(session, ahead, None, await self.sessions.expected_wait(places=ahead + 1))
