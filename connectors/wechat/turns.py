"""Exactly-once turns in WeChat's 5-second window, in each user's order, across processes.

WeChat waits 5 s for an answer, then retries the same push (3 tries in all). So:

1. **Claim.** Each push is claimed by its key (MsgId; for events FromUserName + CreateTime):
   the first delivery creates its state record, with a lease that the running turn renews.
   Only the claimer runs the turn; a retry (in this or another process) waits for the same
   result. If the claimer's process dies, its lease runs out and the next retry takes over.
2. **Order.** A claimed push joins its user's queue (arrival order, kept in the shared store)
   and its turn waits until every earlier message of that user is done; an entry whose claim
   lease ran out (its process died) is skipped.
3. **Passive or push.** A delivery waits for the result up to ``passive_timeout`` (about 4 s).
   Who answers is settled once, in the record's "mode" (set only while unset): ``passive`` (the
   first message goes back in the HTTP answer, any further ones through the customer-service API)
   or ``push`` (the delivery answers ``success`` and the turn sends every message through
   the customer-service API when it is done). Only the turn ever pushes, so nothing is sent
   twice; retries of a passive push get the same passive answer, which WeChat shows once.

4. **Rate.** Messages for the assistant are limited per openid (a token bucket in the shared
   store, ``user_rate_per_minute`` with a burst of ``user_rate_burst``), so one user flooding the
   account cannot take the event loop and the store from everybody else. A message over the
   limit is acknowledged to WeChat like any other (never a 5xx, which WeChat would retry), is not
   passed to the assistant, and the user hears ``TOO_FAST`` once per flood (the notice is said
   again only after ``TOO_FAST_QUIET`` without limited messages). WeChat's retries of a message
   already taken are never limited.

Each step is one atomic storage operation: one Lua script of ``scripts``, which Redis runs in
production and fakeredis runs in-process without ``REDIS_URL`` (``storage``). In the common case
(the delivery that claimed the push is still waiting, the turn ends in time) a turn costs three
round trips: ``take_token`` (the rate) and ``begin`` on arrival, ``finish`` when done, which also
settles ``passive`` and leaves the queue; the turn writes the passive answer into its waiting
delivery's HTTP response itself (the ``respond`` the delivery lent it), then tells the delivery
in-process, which finds its request answered.

Each push has one state record, the hash ``turn:<key>`` (``owner``: the claiming process or
"done"; ``mode``: passive or push, set once; ``result``: the turn's texts), beside its user's
``queue:`` and ``pushing:`` keys. The record's states, and the one script that makes each
transition (``storage.Storage`` names it after the script):

```mermaid
stateDiagram-v2
    [*] --> claimed: begin, record created with owner (lease, renewed by renew)
    claimed --> waiting: begin, joins the user's queue
    waiting --> running: head of the queue (begin, or _wait_for_turn)
    running --> stored: finish, result stored
    stored --> answered_passively: finish / settle / decide, mode = passive if unset (in time)
    stored --> pushed: push_if_open, mode = push if unset (deadline passed)
    answered_passively --> done: settle leaves the queue, owner = done
    pushed --> done: settle leaves the queue, owner = done, takes pushing
    done --> [*]: the record expires after DEDUP_TTL (retries are answered from it meanwhile)
    claimed --> done: leave (the turn failed)
    waiting --> done: leave
    running --> done: leave
    note right of pushed
        mode = push may be set as soon as the deadline passes, in any state before done:
        the delivery then answers "success", and the turn pushes every text when it is done.
        Texts the HTTP answer does not carry go out under pushing (_push_rest), before the
        user's next turn may answer.
    end note
```

In-process, a ``Turns`` keeps two maps: ``_local`` (the pushes this process runs: the turn's task
and what the turn and its waiting delivery tell each other without the store) and ``_events``
(futures to wake; every wait also polls the store, so a wake-up from another process is never
needed for correctness, only for speed).

被动回复与 5 秒超时说明：
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Protocol, Tuple

import async_timeout
from rasa.core.channels.channel import UserMessage

from connectors.wechat.inbound import Inbound
from connectors.wechat.menu import Menu
from connectors.wechat.outbox import Outbox, Part, backlog, parts_of, text_of
from connectors.wechat.output import TurnCollector, parse_choice
from connectors.wechat.storage import Begun, Storage, StorageUnavailable, TurnKeys, record_of
from connectors.wechat.text import split_text
from connectors.wechat.transfer import BACK_TO_BOT, KF_CLOSED, TRANSFER, sendable
from govbot.logmask import mask_openid, redact

logger = logging.getLogger(__name__)

PASSIVE, PUSH = "passive", "push"
LEASE = 15.0  # a running turn renews its claim every LEASE / 3 seconds
DEDUP_TTL = 3600.0  # a finished push's key is remembered this long
RESULT_TTL = 600.0
QUEUE_TTL = 24 * 3600.0
CHOICES_TTL = 1800.0
POLL = 0.05  # waits on another process poll the store this often
LOCAL_POLL = 0.5  # waits on this process are woken at once; the store is read again only as a safety net
MARGIN = 0.2  # the turn settles "passive" itself only this long before the delivery's deadline
GRACE = 0.5  # after the passive deadline, how long a finished turn waits for a delivery's decision
AFTER_PASSIVE = 0.3  # lets the passive answer reach the user before customer-service messages
TURN_TIMEOUT = 120.0
SORRY = "抱歉，系统刚才开小差了，请稍后再试一次。如需人工帮助，请回复“转人工”。"
HOLDING = "您的消息已收到，会一并转给工作人员，请耐心等待回复（工作日9:00-17:00）。紧急事项可拨打12345政务服务热线。"
STAFF_MARK_TTL = 7 * 24 * 3600.0  # a conversation with staff is looked up this long after its last message
HOLD_EVERY = 600.0  # a conversation waiting for staff says HOLDING at most this often
TOO_FAST = "您发送得太快了，请稍等片刻再发。"
TOO_FAST_QUIET = 60.0  # TOO_FAST is said once per flood: again only after this long without limited messages

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Respond = Callable[[Optional[str]], Awaitable[None]]  # writes a delivery's HTTP answer (None: "success")


@dataclass
class LocalTurn:
    """A push this process runs: its turn's task, and what its delivery and its turn tell each
    other here instead of through the store (the store is read only when this did not come)."""
    task: "Optional[asyncio.Task[None]]" = None
    waiting: bool = True  # the delivery that claimed the push still waits for its answer here
    answer: Optional[Tuple[str, Optional[str]]] = None  # turn -> delivery: (mode, passive text)
    respond: "Optional[Respond]" = None  # writes the waiting delivery's HTTP answer (taken once)
    decided: Optional[str] = None  # delivery -> turn: the mode the delivery settled

    def take_answer(self) -> Optional[Tuple[str, Optional[str]]]:
        answer, self.answer = self.answer, None
        return answer

    def take_decision(self) -> Optional[str]:
        decided, self.decided = self.decided, None
        return decided
IsPaused = Callable[[str], Awaitable[bool]]  # from Rasa's tracker store (None for agents without one)
Resume = Callable[[str], Awaitable[bool]]  # openid -> whether a paused conversation was resumed


class Held(Enum):
    """Where a citizen's message went, seen from the channel (``Desk.take``)."""
    NO = "no"  # not handed to staff: the assistant answers
    QUEUED = "queued"  # stored for staff, none of whom has the conversation yet: the citizen is told
    ANSWERING = "answering"  # stored for the staff member in the conversation: no notice in between


class Desk(Protocol):
    """Where a conversation handed to staff goes (``desk.StaffDesk``: the console)."""

    async def take(self, inbound: Inbound) -> Held:
        """Stores the message for staff when the conversation is with them; where it went."""


class Turns:
    def __init__(self, storage: Storage, outbox: Outbox, menu: Menu, on_new_message: OnNewMessage,
                 passive_timeout: float = 4.0, input_channel: str = "wechat",
                 is_paused: Optional[IsPaused] = None, rate_per_minute: float = 20.0, rate_burst: int = 10,
                 desk: Optional[Desk] = None, kf_resume: Optional[Resume] = None) -> None:
        """``kf_resume`` given (``HANDOFF_MODE=wechat``, see ``transfer``): paused conversations go to
        WeChat's customer service, and its ``kf_close_session`` gives them back through it."""
        self._storage = storage
        self._desk = desk
        self._kf_resume = kf_resume
        self._outbox = outbox
        self._menu = menu
        self._on_new_message = on_new_message
        self._is_paused = is_paused
        self._passive_timeout = passive_timeout
        self._input_channel = input_channel
        self._rate = (rate_per_minute / 60.0, rate_burst)
        self._owner = uuid.uuid4().hex
        # The only in-process state: the pushes this process runs, and who waits to be woken.
        self._local: Dict[str, LocalTurn] = {}
        self._events: Dict[str, List["asyncio.Future[None]"]] = {}

    async def handle(self, inbound: Inbound, respond: Optional[Respond] = None) -> Optional[str]:
        """Runs (or joins) the turn of one delivery; the passive answer, None for ``success``.

        ``respond`` given, the turn writes the passive answer of the delivery that claimed the push
        itself, the moment it has it: under load, a woken delivery runs only after every step the
        event loop already holds (each may be the model's inference), and the load benchmark's
        webhook/REST p50 ratio went from 1.03 to 1.22 without this. The caller then finds its
        request answered and ignores the returned text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._passive_timeout
        keys = self._keys(inbound.key, inbound.openid)
        if not await self._admitted(inbound):
            return await self._too_fast(inbound)
        begun = await self._storage.begin(
            keys, self._owner, LEASE, QUEUE_TTL, self._outbox.window(inbound.openid, inbound.window),
            take_if_first=f"choices:{inbound.openid}" if inbound.text is not None else None,
            pending=self._outbox.pending_key(inbound.openid) if inbound.window else None)
        if not begun.won:
            logger.info("retry of %s from %s joins the first delivery", inbound.key, mask_openid(inbound.openid))
            return await self._passive(inbound.key, inbound.openid, deadline, POLL)
        local = self._local[inbound.key] = LocalTurn(respond=respond)
        try:
            wake = self._listen(inbound.key)  # before the turn can finish
            local.task = loop.create_task(self._run(inbound, deadline, begun))
            local.task.add_done_callback(lambda _: self._forget(inbound.key))
            return await self._passive(inbound.key, inbound.openid, deadline, LOCAL_POLL, wake)
        finally:
            local.waiting, local.answer, local.respond = False, None, None  # its consumer was this delivery
            self._forget(inbound.key)

    async def close(self, timeout: float = 10.0) -> None:
        """Lets turns in flight finish (their replies go out) before the server stops."""
        tasks = {local.task for local in self._local.values() if local.task is not None}
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def _forget(self, key: str) -> None:
        """Drops a push's record once its delivery stopped waiting and its turn ended."""
        local = self._local.get(key)
        if local is not None and not local.waiting and (local.task is None or local.task.done()):
            del self._local[key]

    # ------------------------------------------------------------ delivery side

    async def _passive(self, key: str, openid: str, deadline: float, poll: float,
                       wake: "Optional[asyncio.Future[None]]" = None) -> Optional[str]:
        """``wake`` given: this process runs the turn, which tells this delivery its answer; the
        store is read only when that did not come in time (or to join a retry's turn)."""
        loop = asyncio.get_running_loop()
        local = wake is not None
        while True:
            # only the delivery that runs the turn here is told; a retry joining it reads the store
            told = self._local[key].take_answer() if local else None
            if told is not None:
                return told[1] if told[0] == PASSIVE else None
            if wake is None:
                wake = self._listen(key)  # before reading the store, so that no wake-up is missed
                mode, result = await self._storage.decide(self._keys(key, openid))
                if mode == PUSH or (mode == PASSIVE and result is not None):
                    return self._answer(key, local, mode, result)
            remaining = deadline - loop.time()
            if remaining <= 0:
                if await self._storage.push_if_open(key, RESULT_TTL):
                    logger.info("turn %s not done within %.1fs: answered success, will push",
                                key, self._passive_timeout)
                    return self._answer(key, local, PUSH, None)
                wake = None
                continue
            await self._wait(key, wake, min(poll, remaining))
            wake = None

    def _answer(self, key: str, local: bool, mode: str, result: Optional[str]) -> Optional[str]:
        if local:
            self._local[key].decided = mode
        self._wake(key)
        texts = json.loads(result) if mode == PASSIVE and result else []
        return text_of(texts[0]) if texts else None

    # ------------------------------------------------------------ per-user rate limit

    async def _admitted(self, inbound: Inbound) -> bool:
        """Within the user's rate, a message without a turn (cheap: the connector answers it), or
        WeChat's retry of a message already taken (its turn runs; the retry must join it)."""
        per_second, burst = self._rate
        if inbound.text is None or per_second <= 0:
            return True
        if await self._storage.take_token(f"rate:{inbound.openid}", per_second, burst):
            return True
        return await self._storage.exists(record_of(inbound.key))

    async def _too_fast(self, inbound: Inbound) -> Optional[str]:
        """The answer to a message over the limit: ``TOO_FAST`` the first time in a flood, then
        ``success`` (each limited message keeps the flood going)."""
        logger.warning("message %s of %s over the rate limit: not passed to the assistant",
                       inbound.key, mask_openid(inbound.openid))
        flood = f"too-fast:{inbound.openid}"
        if await self._storage.set(flood, "1", TOO_FAST_QUIET, nx=True):
            return TOO_FAST
        await self._storage.extend_if_equals(flood, "1", TOO_FAST_QUIET)
        return None

    # ------------------------------------------------------------ turn side

    @staticmethod
    def _keys(key: str, openid: str) -> TurnKeys:
        return TurnKeys(member=key, queue=f"queue:{openid}", pushing=f"pushing:{openid}", done_ttl=DEDUP_TTL)

    async def _run(self, inbound: Inbound, deadline: float, begun: Begun) -> None:
        """The turn, in the background: never raises (a failure is logged, and the turn leaves)."""
        try:
            with self._heartbeat_after(LEASE / 3, inbound):  # only for turns longer than that
                await self._play(inbound, deadline, begun)
        except StorageUnavailable as error:
            logger.error("turn %s of %s interrupted: %s", inbound.key, mask_openid(inbound.openid), error)
        except Exception:  # a background task: log it, never let it vanish silently
            logger.exception("turn %s of %s failed", inbound.key, mask_openid(inbound.openid))

    async def _play(self, inbound: Inbound, deadline: float, begun: Begun) -> None:
        """Waits for its place, runs the assistant, settles who answers, pushes the rest; a turn
        that fails before it settled gives its place, claim and output up (``leave``)."""
        keys = self._keys(inbound.key, inbound.openid)
        settled = False
        try:
            mode, items = await self._answer_and_settle(inbound, deadline, begun, keys)
            settled = True
            await self._push_rest(inbound.openid, keys, mode, items)
        finally:
            if not settled:
                await self._storage.leave(keys)
                self._wake(f"user:{inbound.openid}")
                self._wake(f"out:{inbound.openid}")

    async def _answer_and_settle(self, inbound: Inbound, deadline: float, begun: Begun,
                                 keys: TurnKeys) -> Tuple[Optional[str], List[Any]]:
        """Running → answered passively or pushed: (mode, the texts to send).

        It leaves the user's queue as soon as the answer's path is settled, so the next message
        can run while this one's customer-service messages go out; those come first all the
        same, because a turn answers only when no earlier turn of the user is still pushing.
        When nothing of the user was ahead at arrival (``begun.clear``), the waiting delivery
        gets its answer at once, while the result is being stored."""
        key, openid = inbound.key, inbound.openid
        choices = begun.taken
        if not begun.first:
            await self._wait_for_turn(openid, key)
            if inbound.text is not None:
                choices = await self._storage.take_value(f"choices:{openid}")
        texts = await self._turn(inbound, choices)
        items = [part.to_json() for part in parts_of(key, texts)]
        early = begun.clear and self._may_settle(key, deadline)
        if early:  # answer now; finish (below) settles "passive" unless a deadline beat us
            await self._tell_delivery(key, texts[0] if texts else None)
        # replies kept for this user (45015/45047) go first; not after an early answer,
        # which must stay the first text (what arrived meanwhile waits for the next message)
        pending = self._outbox.pending_key(openid) if inbound.window and not early else None
        # stale kept answers (of BACKLOG_TURNS earlier messages) give way to this one's
        items, settled = await self._storage.finish(keys, items, pending,
                                                    self._may_settle(key, deadline) or early, LEASE,
                                                    backlog(key, sendable(texts)) if pending else None)
        while not settled.done:
            if settled.busy:  # an earlier turn of this user is still pushing
                await self._wait(f"out:{openid}", self._listen(f"out:{openid}"), POLL)
            else:  # a delivery decides (or, after the deadline, push)
                await self._settled_mode(key, deadline)
            settled = await self._storage.settle(keys, len(items), self._may_settle(key, deadline), LEASE)
        if settled.mode == PASSIVE and self._waiting_here(key):
            await self._tell_delivery(key, text_of(items[0]) if items else None)
        self._wake(key)
        self._wake(f"user:{openid}")
        return settled.mode, items

    async def _push_rest(self, openid: str, keys: TurnKeys, mode: Optional[str], items: List[Any]) -> None:
        """Answered passively or pushed → done: what the HTTP answer did not carry goes through the
        customer-service API, then the user's output (``pushing``) is released."""
        rest = items[1:] if mode == PASSIVE else items
        if not rest:
            return
        if mode == PASSIVE:
            await asyncio.sleep(AFTER_PASSIVE)
        try:
            await self._outbox.send(openid, [Part.from_json(item) for item in rest if text_of(item) != TRANSFER])
        finally:
            await self._storage.delete_if_equals(keys.pushing, keys.member)
            self._wake(f"out:{openid}")

    @contextlib.contextmanager
    def _heartbeat_after(self, delay: float, inbound: Inbound) -> Iterator[None]:
        """Renews the turn's leases from ``delay`` on, while the block runs."""
        loop = asyncio.get_running_loop()
        started: List[asyncio.Task] = []
        timer = loop.call_later(delay, lambda: started.append(loop.create_task(self._heartbeat(inbound))))
        try:
            yield
        finally:
            timer.cancel()
            for task in started:
                task.cancel()

    async def _tell_delivery(self, key: str, text: Optional[str]) -> None:
        """Gives the waiting delivery its passive answer: written here when the delivery lent its
        ``respond``, before the delivery is woken (it then finds its request answered)."""
        local = self._local[key]
        respond, local.respond = local.respond, None
        if respond is not None:
            try:
                await respond(text)
            except Exception as error:  # noqa: BLE001 - WeChat went away: its retry reads the store
                logger.warning("could not answer push %s: %s", key, type(error).__name__)
        local.answer = (PASSIVE, text)
        self._wake(key)

    def _may_settle(self, key: str, deadline: float) -> bool:
        """The turn may settle "passive" itself while its delivery still waits here, in time."""
        return self._waiting_here(key) and asyncio.get_running_loop().time() < deadline - MARGIN

    def _waiting_here(self, key: str) -> bool:
        """The delivery that claimed the push still waits for its answer in this process."""
        local = self._local.get(key)
        return local is not None and local.waiting

    async def _turn(self, inbound: Inbound, choices: Optional[str]) -> List[str]:
        held = await self._with_staff(inbound)
        if held is not Held.NO:
            return await self._hold(inbound.openid) if held is Held.QUEUED else []
        if inbound.kind == KF_CLOSED and self._kf_resume is not None:
            return [BACK_TO_BOT] if await self._kf_resume(inbound.openid) else []
        if inbound.text is None:
            if inbound.welcome:
                await self._remember_choices(inbound.openid, self._menu.welcome_payloads())
            return split_text(inbound.reply) if inbound.reply else []
        text = inbound.text
        if choices is not None:
            text = parse_choice(text, json.loads(choices)) or text
        collector = TurnCollector()
        message = UserMessage(text, collector, inbound.openid, input_channel=self._input_channel,
                              message_id=inbound.key, metadata=inbound.metadata)
        logger.info("turn %s of %s (%s)", inbound.key, mask_openid(inbound.openid), inbound.kind)
        logger.debug("turn %s text: %s", inbound.key, redact(text))
        try:
            async with async_timeout.timeout(TURN_TIMEOUT):  # no extra task, unlike asyncio.wait_for
                await self._on_new_message(message)
        except asyncio.TimeoutError:
            logger.error("turn %s took longer than %ss", inbound.key, TURN_TIMEOUT)
            return collector.parts() + [SORRY]
        except Exception:
            logger.exception("the assistant failed on turn %s", inbound.key)
            return collector.parts() + [SORRY]
        if collector.choices:
            await self._remember_choices(inbound.openid, collector.choices)
        parts = collector.parts()
        # only a citizen's message is forwarded to WeChat's customer service, never an event
        transfer = self._kf_resume is not None and not inbound.kind.startswith("event.")
        if (parts and not transfer) or self._is_paused is None or not await self._is_paused(inbound.openid):
            return parts
        if transfer:
            return [TRANSFER, *parts]
        # paused, and the message reached the assistant: a handover the mark did not know yet
        held = await self._take_for_staff(self._desk, inbound) if self._desk is not None else Held.QUEUED
        return [] if held is Held.ANSWERING else await self._hold(inbound.openid)

    async def _with_staff(self, inbound: Inbound) -> Held:
        """Where the message goes when the conversation is with staff in the console: stored for
        them, and the assistant does not see it.

        With Rasa's tracker in sight the console is asked only about conversations marked as
        handed over (``staff:<openid>`` in this store), not on every message: a handover the mark
        does not know yet (the turn that paused, a store that lost its keys) shows as a paused,
        silent assistant after the turn, where the message is stored all the same and the mark set
        (``_turn``). A console out of reach leaves the message to the assistant (whose tracker,
        paused, keeps it), never lost."""
        if self._desk is None:
            return Held.NO
        mark = _staff_mark(inbound.openid)
        if self._is_paused is not None and not await self._storage.exists(mark):
            return Held.NO
        held = await self._take_for_staff(self._desk, inbound)
        if held is Held.NO and self._is_paused is not None:
            await self._storage.delete(mark)  # handed back: the assistant answers again
        return held

    async def _take_for_staff(self, desk: Desk, inbound: Inbound) -> Held:
        try:
            held = await desk.take(inbound)
        except Exception as error:  # noqa: BLE001 - any failure of the console's database
            logger.error("cannot store %s of %s for staff: %s", inbound.key, mask_openid(inbound.openid),
                         type(error).__name__)
            return Held.NO
        if held is not Held.NO:
            await self._storage.set(_staff_mark(inbound.openid), "1", STAFF_MARK_TTL)
        return held

    async def _hold(self, openid: str) -> List[str]:
        """A conversation with staff gets no answer from the assistant; rather than silence, the
        citizen hears that the message reached the staff (at most every HOLD_EVERY)."""
        return [HOLDING] if await self._storage.set(f"held:{openid}", "1", HOLD_EVERY, nx=True) else []

    async def _remember_choices(self, openid: str, payloads: List[str]) -> None:
        await self._storage.set(f"choices:{openid}", json.dumps(payloads, ensure_ascii=False), CHOICES_TTL)

    async def _settled_mode(self, key: str, deadline: float) -> str:
        """Waits for a delivery's decision; after the deadline (and a grace) settles on push.

        This process's delivery tells its decision directly; the store is read only when that
        did not come (its client went away, or a delivery on another process decided)."""
        loop = asyncio.get_running_loop()
        give_up = deadline + GRACE
        look_in_store = False
        while True:
            wake = self._listen(key)
            mode = self._local[key].take_decision()
            if mode is None and look_in_store:
                mode = await self._storage.mode_of(key)
            if mode in (PASSIVE, PUSH):
                return mode
            look_in_store = True
            if loop.time() >= give_up:
                if await self._storage.push_if_open(key, RESULT_TTL):
                    return PUSH
                continue
            await self._wait(key, wake, min(LOCAL_POLL, give_up - loop.time()))

    # ------------------------------------------------------------ per-user order

    async def _wait_for_turn(self, openid: str, key: str) -> None:
        """Waits until every earlier message of this user is done (or its process is gone)."""
        queue = f"queue:{openid}"
        while True:
            wake = self._listen(f"user:{openid}")
            head = await self._storage.head(queue)
            if head == key:
                return
            if head is None:  # the queue was lost (store restarted): join again
                await self._storage.enqueue(queue, key, QUEUE_TTL)
                continue
            if await self._storage.owner_of(head) in (None, "done"):
                logger.warning("skipping a dead turn %s in the queue of %s", head, mask_openid(openid))
                await self._storage.dequeue(queue, head)
                continue
            await self._wait(f"user:{openid}", wake, POLL)

    async def _heartbeat(self, inbound: Inbound) -> None:
        while True:
            try:
                await self._storage.renew(inbound.key, self._owner, LEASE)
                await self._storage.extend_if_equals(f"pushing:{inbound.openid}", inbound.key, LEASE)
            except StorageUnavailable as error:
                logger.warning("heartbeat of %s failed: %s", inbound.key, error)
            await asyncio.sleep(LEASE / 3)

    # ------------------------------------------------------------ in-process wake-ups

    def _listen(self, name: str) -> "asyncio.Future[None]":
        """A future of the caller's own that the next ``_wake(name)`` completes; taken before
        reading the store, so that no wake-up is missed."""
        future = asyncio.get_running_loop().create_future()
        self._events.setdefault(name, []).append(future)
        return future

    def _wake(self, name: str) -> None:
        for future in self._events.pop(name, ()):
            _release(future)

    async def _wait(self, name: str, future: "asyncio.Future[None]", timeout: float) -> None:
        """Awaits the caller's own future directly: woken in one step of the event loop (a shared
        future behind ``asyncio.wait`` takes two, and each step waits behind every turn that
        holds the loop, e.g. for inference); cancelling a waiter touches nobody else's future."""
        timer = asyncio.get_running_loop().call_later(max(timeout, 0.001), _release, future)
        try:
            await future
        finally:
            timer.cancel()
            waiters = self._events.get(name)
            if waiters and future in waiters:
                waiters.remove(future)
                if not waiters:
                    del self._events[name]


def _staff_mark(openid: str) -> str:
    return f"staff:{openid}"


def _release(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)
