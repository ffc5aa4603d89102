"""The staff console seen from the channel: while a citizen's conversation is with staff (a
session waiting, claimed or left as a ticket) each of their messages is stored for staff, in
order, and the assistant stays out of it.

The channel is where every message arrives, once: a push is claimed by its key (``turns``), and
the key is stored with the message (``Transcripts.add(source_key=...)``), so a turn taken over
after a crash stores nothing twice. The console's web app notices the new row by itself.
"""
from __future__ import annotations

import logging
from typing import Optional, Tuple

from connectors.wechat.inbound import Inbound
from connectors.wechat.turns import Held
from console.handoff import State
from console.messages import Direction, Kind, Transcripts
from console.sessions import Sessions
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)
MEDIA_NOTES = {"image": (Kind.IMAGE, "[图片]"), "voice": (Kind.VOICE, "[语音，未能识别]"),
               "video": (Kind.FILE, "[视频]"), "shortvideo": (Kind.FILE, "[小视频]"), "file": (Kind.FILE, "[文件]")}


class StaffDesk:
    def __init__(self, sessions: Sessions, transcripts: Transcripts, channel: str = "wechat"):
        self._sessions = sessions
        self._transcripts = transcripts
        self._channel = channel

    async def take(self, inbound: Inbound) -> Held:
        """While the conversation is with staff the message is stored for them (events such as a
        menu click are not messages and stay with the channel). Raises when the console's
        database cannot be reached; the channel then goes on as without a console."""
        if inbound.kind.startswith("event."):
            return Held.NO
        session = await self._sessions.active(self._channel, inbound.openid)
        if session is None:
            return Held.NO
        kind, text = note_of(inbound)
        await self._transcripts.add(session.id, Direction.CITIZEN, kind, text, inbound.media_id,
                                    source_key=inbound.key)
        logger.info("message %s of %s stored for staff (session %d)", inbound.key, mask_openid(inbound.openid),
                    session.id)
        return Held.ANSWERING if session.state is State.WITH_STAFF else Held.QUEUED


def note_of(inbound: Inbound) -> Tuple[Kind, Optional[str]]:
    """What staff read: the text, the voice's recognition, or a note on the media (its id aside)."""
    if inbound.kind == "text":
        return Kind.TEXT, inbound.text or "[空白或过长的消息]"
    if inbound.kind == "voice" and inbound.text:
        return Kind.VOICE, inbound.text
    kind, note = MEDIA_NOTES.get(inbound.kind, (Kind.TEXT, f"[{inbound.kind}]"))
    return kind, note
