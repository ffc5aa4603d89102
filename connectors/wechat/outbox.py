"""客服消息下发：额度、失败留存与补发、每条只发一次、积压时只发最新的答复。

客服消息接口：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
下发规则（摘自官方说明）：用户发送消息后 48 小时内可下发 5 条；点击自定义菜单、关注公众号、
扫描带参数二维码后 1 分钟内可下发 3 条。超出时接口返回 45047（条数超限）或 45015（超出时限）。

额度在共享存储里计数，超出前就不再调用；微信仍返回 45015 / 45047 时，记日志并把未发出的回复
留到该用户下一次发消息时补发，绝不悄悄丢掉。

**Each part is sent at most once.** Every customer-service message is a :class:`Part` named by
(openid, turn, part): the turn is the push's key (MsgId), or ``notice-…`` for a message outside a
user's turn. Before a send its record is set (SET NX "attempt"), after it the outcome ("sent"); a
part whose record exists is skipped, whoever tries it again (a deferred copy, a takeover of the
turn by WeChat's retry on another process). The record is removed only when the failure proves
that WeChat did not carry the send out, and only then is the part sent again:

- WeChat answered with an errcode (45015/45047 are kept for later, -1 "system busy" is retried
  once), or the request never reached WeChat (connection refused, DNS, connect timeout, no
  access token: ``WeChatUnreachable``): retried once at once, then kept for later.
- The outcome is unknown (``OutcomeUnknown``: the request was written, then a timeout, a reset,
  an HTTP 5xx or a garbled answer): **not sent again**. WeChat's send has no idempotency key, so
  a resend cannot be told apart from a duplicate; in the 30-second outage that showed this, every
  such send had arrived (18 answers came twice). HTTP clients treat non-idempotent requests the
  same way (Go's net/http, urllib3 retry a POST only when nothing was written). The part is
  logged with its key; the parts after it, never tried, are kept for the user's next message.
  A process that dies between attempt and outcome leaves "attempt": likewise not resent.

**Stale answers collapse.** Answers kept for later (an outage, the quota) go out with the user's
next message, before its own answer. When they are answers to two or more earlier messages
(``BACKLOG_TURNS``), they are dropped and only the latest message's answer is sent, headed by
``LATEST``, instead of a flood of replies to questions overtaken by newer ones; notices (reminders,
staff messages) are always kept. Dropping happens inside the atomic ``Storage.finish``, so the
passive answer and the pushed rest come from the same list.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import (
    OutcomeUnknown,
    ReplyQuotaError,
    ReplyWindowError,
    UserRefusedError,
    WeChatAPIError,
    WeChatUnavailable,
)
from connectors.wechat.inbound import EVENT_WINDOW, MESSAGE_WINDOW
from connectors.wechat.storage import Backlog, Storage
from connectors.wechat.text import split_text
from govbot.logmask import mask_openid

logger = logging.getLogger(__name__)

WINDOWS = {MESSAGE_WINDOW: (5, 48 * 3600), EVENT_WINDOW: (3, 60)}  # count, seconds
PENDING_TTL = 7 * 24 * 3600
PENDING_MAX = 20
# A part is kept for later only when it was not sent (its record removed), so a record guards
# re-runs of its turn (WeChat's retry taking over from a dead process) and any second push of the
# same part: a day is ample, and keeps Redis small (one short key per pushed part).
RECORD_TTL = 24 * 3600
ATTEMPT, SENT, UNKNOWN = "attempt", "sent", "unknown"
NOTICE = "notice-"  # turn name prefix of messages outside a user's turn
BACKLOG_TURNS = 2  # kept answers to this many earlier messages are stale: only the latest is sent
LATEST = "（以下是对您最新消息的回复）"


@dataclass(frozen=True)
class Part:
    """One customer-service text and its place: (turn, index) with the openid names its send."""
    text: str
    turn: str
    index: int

    @property
    def id(self) -> str:
        return f"{self.turn}:{self.index}"

    @property
    def is_answer(self) -> bool:
        return not self.turn.startswith(NOTICE)

    def to_json(self) -> Dict[str, str]:
        """``turn`` only on answers: ``Storage.finish`` counts answers' turns for the backlog rule."""
        item = {"text": self.text, "id": self.id}
        if self.is_answer:
            item["turn"] = self.turn
        return item

    @classmethod
    def from_json(cls, item: Any) -> "Part":
        if isinstance(item, str):  # kept before parts had names: a notice of its own
            return cls(item, NOTICE + uuid.uuid4().hex, 0)
        turn, _, index = str(item["id"]).rpartition(":")
        return cls(str(item["text"]), turn, int(index or 0))


def parts_of(turn: str, texts: Sequence[str]) -> List[Part]:
    return [Part(text, turn, index) for index, text in enumerate(texts)]


def text_of(item: Any) -> str:
    """The text of a stored item (a part's JSON object, or a plain text kept by an older version)."""
    return item if isinstance(item, str) else str(item["text"])


def backlog(turn: str, texts: Sequence[str]) -> Optional[Backlog]:
    """What ``Storage.finish`` sends instead when the kept answers are stale: this turn's own
    answer headed by ``LATEST`` (none when the turn has nothing to say: then the old ones go)."""
    if not texts:
        return None
    headed = split_text(f"{LATEST}\n{texts[0]}") + list(texts[1:])
    return Backlog(BACKLOG_TURNS, [part.to_json() for part in parts_of(turn, headed)])


class Outbox:
    """Pushes messages through the customer-service API within WeChat's quota."""

    def __init__(self, storage: Storage, client: WeChatClient):
        self._storage = storage
        self._client = client

    @staticmethod
    def window(openid: str, window: Optional[str]) -> Optional[Tuple[str, str, float]]:
        """The (key, count, seconds) a user interaction sets: a fresh window for customer-service
        messages (set by the claim of that push, see ``turns``)."""
        if window not in WINDOWS:
            return None
        count, seconds = WINDOWS[window]
        return _quota_key(window, openid), str(count), float(seconds)

    @staticmethod
    def pending_key(openid: str) -> str:
        return f"pending:{openid}"

    async def take_pending(self, openid: str) -> List[str]:
        return [text_of(json.loads(item)) for item in await self._storage.pop_all(self.pending_key(openid))]

    async def keep_pending(self, openid: str, parts: Sequence[Part]) -> None:
        """Kept for the user's next message; an answer kept is no longer the reply to the latest
        message, so it loses the ``LATEST`` heading."""
        items = [Part(part.text[len(LATEST):].lstrip("\n") if part.text.startswith(LATEST) else part.text,
                      part.turn, part.index).to_json() for part in parts]
        await self._storage.append(self.pending_key(openid), [json.dumps(i, ensure_ascii=False) for i in items],
                                 PENDING_TTL, PENDING_MAX)

    async def send(self, openid: str, parts: Sequence[Union[str, Part]], kf_account: Optional[str] = None) -> int:
        """Sends ``parts`` in order (plain texts are a notice of their own), each at most once,
        as the customer-service account ``kf_account`` when given (a staff member's); what cannot
        be sent now is kept for the next user message. Returns how many are done."""
        todo = _named(parts)
        for index, part in enumerate(todo):
            record = f"sent:{openid}:{part.id}"
            if not await self._storage.set(record, ATTEMPT, RECORD_TTL, nx=True):
                logger.info("part %s to %s was sent or tried before: not sent again", part.id, mask_openid(openid))
                continue
            failure = await self._attempt(openid, part, record, kf_account)
            if failure is not None:
                return index + await self._after_failure(openid, todo[index:], failure)
        return len(todo)

    async def _attempt(self, openid: str, part: Part, record: str, kf_account: Optional[str]) -> Optional[Exception]:
        """Sends one part and records the outcome; the error when it was not sent."""
        if not await self._take_quota(openid):
            await self._storage.delete(record)
            return _NoQuota()
        try:
            await self._send(openid, part.text, kf_account)
        except OutcomeUnknown as error:
            await self._storage.set(record, UNKNOWN, RECORD_TTL)
            logger.warning("part %s to %s may have been sent (%s): not sent again", part.id, mask_openid(openid),
                           error)
            return error
        except WeChatAPIError as error:
            await self._storage.delete(record)  # WeChat did not carry it out: it may go again
            return error
        await self._storage.set(record, SENT, RECORD_TTL)
        return None

    async def _after_failure(self, openid: str, rest: Sequence[Part], error: Exception) -> int:
        """Keeps what was not sent (all of ``rest``, or its tail after a part of unknown outcome);
        the number of parts done with, which is 1 after an unknown outcome, else 0."""
        done = 1 if isinstance(error, OutcomeUnknown) else 0
        if isinstance(error, UserRefusedError):
            logger.info("%s does not accept messages (errcode %s): dropped %d",
                        mask_openid(openid), error.errcode, len(rest))
            return 0
        if isinstance(error, (ReplyWindowError, ReplyQuotaError)):
            await self._spend_all(openid)
            why = f"errcode {error.errcode} {error.errmsg}"
        else:
            why = str(error)
        await self._defer(openid, rest[done:], why)
        return done

    async def _send(self, openid: str, text: str, kf_account: Optional[str]) -> None:
        try:
            await self._client.send_text(openid, text, kf_account)
        except OutcomeUnknown:
            raise
        except WeChatUnavailable as error:
            # -1 (busy) or the request never reached WeChat: not carried out, so one more try
            # cannot duplicate it (an unknown outcome is never retried, see the module docstring)
            logger.warning("customer-service send to %s failed (%s); retrying once", mask_openid(openid), error)
            await asyncio.sleep(0.5)
            await self._client.send_text(openid, text, kf_account)

    async def allowance(self, openid: str) -> Tuple[int, float]:
        """How many customer-service messages ``openid`` may still get, and for how many seconds:
        the counter ``send`` spends that lasts longest (the 48-hour window of a message rather than
        the minute of a menu click), as staff see it in the console; (0, 0.0) when none is left."""
        counters = [await self._storage.counter(_quota_key(window, openid)) for window in WINDOWS]
        return max(((count, ttl) for count, ttl in counters if count > 0), key=lambda c: c[1], default=(0, 0.0))

    async def _take_quota(self, openid: str) -> bool:
        for window in (EVENT_WINDOW, MESSAGE_WINDOW):
            if await self._storage.spend(_quota_key(window, openid)):
                return True
        return False

    async def _spend_all(self, openid: str) -> None:
        for window in WINDOWS:
            await self._storage.delete(_quota_key(window, openid))

    async def _defer(self, openid: str, parts: Sequence[Part], why: str) -> None:
        if not parts:
            return
        await self.keep_pending(openid, parts)
        logger.warning("kept %d message(s) for %s until the next user message: %s",
                       len(parts), mask_openid(openid), why)


class _NoQuota(Exception):
    def __str__(self) -> str:
        return "no customer-service quota left"


def _quota_key(window: str, openid: str) -> str:
    return f"quota:{window}:{openid}"


def _named(parts: Sequence[Union[str, Part]]) -> List[Part]:
    """Plain texts (sent outside a user's turn) become one notice with a fresh name."""
    notice = NOTICE + uuid.uuid4().hex
    return [part if isinstance(part, Part) else Part(part, notice, index) for index, part in enumerate(parts)]
