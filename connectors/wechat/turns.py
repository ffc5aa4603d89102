"""Exactly-once turns in WeChat's 5-second window, in each user's order, across processes.

WeChat waits 5 s for an answer, then retries the same push (3 tries in all). So:

1. **Claim.** Each push is claimed by its key (MsgId; for events FromUserName + CreateTime)
   with SET NX and a lease that the running turn renews. Only the claimer runs the turn; a
   retry (in this or another process) waits for the same result. If the claimer's process
   dies, its lease runs out and the next retry takes over.
2. **Order.** A turn waits in its user's queue (arrival order, kept in the shared store) until
   every earlier message of that user is done; a dead waiter's entry expires with its lease.
3. **Passive or push.** A delivery waits for the result up to ``passive_timeout`` (about 4 s).
   Who answers is settled once, with SET NX on the push's "mode": ``passive`` (the first
   message goes back in the HTTP answer, any further ones through the customer-service API)
   or ``push`` (the delivery answers ``success`` and the turn sends every message through
   the customer-service API when it is done). Only the turn ever pushes, so nothing is sent
   twice; retries of a passive push get the same passive answer, which WeChat shows once.

被动回复与 5 秒超时说明：
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import UserMessage

from connectors.wechat.inbound import Inbound
from connectors.wechat.masking import mask_openid, redact
from connectors.wechat.menu import Menu
from connectors.wechat.output import TurnCollector, parse_choice
from connectors.wechat.outbox import Outbox
from connectors.wechat.storage import Storage, StorageUnavailable
from connectors.wechat.text import split_text

logger = logging.getLogger(__name__)

PASSIVE, PUSH = "passive", "push"
LEASE = 15.0  # a running turn renews its claim and queue place every LEASE / 3 seconds
DEDUP_TTL = 3600.0  # a finished push's key is remembered this long
RESULT_TTL = 600.0
QUEUE_TTL = 24 * 3600.0
CHOICES_TTL = 1800.0
POLL = 0.05  # cross-process waits poll the store this often; in-process waits are woken at once
GRACE = 0.5  # after the passive deadline, how long a finished turn waits for the delivery's decision
AFTER_PASSIVE = 0.3  # lets the passive answer reach the user before customer-service messages
TURN_TIMEOUT = 120.0
SORRY = "抱歉，系统刚才开小差了，请稍后再试一次。如需人工帮助，请回复“转人工”。"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Turns:
    def __init__(self, storage: Storage, outbox: Outbox, menu: Menu, on_new_message: OnNewMessage,
                 passive_timeout: float = 4.0, input_channel: str = "wechat") -> None:
        self._storage = storage
        self._outbox = outbox
        self._menu = menu
        self._on_new_message = on_new_message
        self._passive_timeout = passive_timeout
        self._input_channel = input_channel
        self._owner = uuid.uuid4().hex
        self._events: Dict[str, asyncio.Event] = {}
        self._tasks: Set[asyncio.Task] = set()

    async def handle(self, inbound: Inbound) -> Optional[str]:
        """Runs (or joins) the turn of one delivery; the passive answer, or None for ``success``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._passive_timeout
        if await self._storage.set(f"claim:{inbound.key}", self._owner, LEASE, nx=True):
            task = loop.create_task(self._run(inbound, deadline))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            logger.info("retry of %s from %s joins the first delivery", inbound.key, mask_openid(inbound.openid))
        return await self._passive(inbound.key, deadline)

    async def close(self, timeout: float = 10.0) -> None:
        """Lets turns in flight finish (their replies go out) before the server stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # ------------------------------------------------------------ delivery side

    async def _passive(self, key: str, deadline: float) -> Optional[str]:
        loop = asyncio.get_running_loop()
        while True:
            mode = await self._storage.get(f"mode:{key}")
            if mode == PUSH:
                return None
            result = await self._storage.get(f"result:{key}")
            if result is not None:
                if mode != PASSIVE and not await self._storage.set(f"mode:{key}", PASSIVE, RESULT_TTL, nx=True):
                    continue  # someone settled the mode just now: read it again
                self._wake(key)
                texts = json.loads(result)
                return texts[0] if texts else None
            remaining = deadline - loop.time()
            if remaining <= 0:
                if await self._storage.set(f"mode:{key}", PUSH, RESULT_TTL, nx=True):
                    self._wake(key)
                    logger.info("turn %s not done within %.1fs: answered success, will push",
                                key, self._passive_timeout)
                    return None
                continue
            await self._wait(key, min(POLL, remaining))

    # ------------------------------------------------------------ turn side

    async def _run(self, inbound: Inbound, deadline: float) -> None:
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(inbound))
        try:
            await self._outbox.open_window(inbound.openid, inbound.window)
            await self._enter(inbound.openid, inbound.key)
            try:
                texts = await self._turn(inbound)
                if inbound.window:
                    texts = await self._outbox.take_pending(inbound.openid) + texts
                await self._storage.set(f"result:{inbound.key}", json.dumps(texts, ensure_ascii=False), RESULT_TTL)
                self._wake(inbound.key)
                mode = await self._settled_mode(inbound.key, deadline)
                rest = texts[1:] if mode == PASSIVE else texts
                if rest:
                    if mode == PASSIVE:
                        await asyncio.sleep(AFTER_PASSIVE)
                    await self._outbox.push(inbound.openid, rest)
            finally:
                await self._leave(inbound.openid, inbound.key)
            await self._storage.set(f"claim:{inbound.key}", "done", DEDUP_TTL)
        except StorageUnavailable as error:
            logger.error("turn %s of %s interrupted: %s", inbound.key, mask_openid(inbound.openid), error)
        except Exception:  # a background task: log it, never let it vanish silently
            logger.exception("turn %s of %s failed", inbound.key, mask_openid(inbound.openid))
        finally:
            heartbeat.cancel()

    async def _turn(self, inbound: Inbound) -> List[str]:
        if inbound.text is None:
            if inbound.welcome:
                await self._remember_choices(inbound.openid, self._menu.welcome_payloads())
            return split_text(inbound.reply) if inbound.reply else []
        text = inbound.text
        choices = await self._storage.get(f"choices:{inbound.openid}")
        if choices is not None:
            await self._storage.delete(f"choices:{inbound.openid}")
            text = parse_choice(text, json.loads(choices)) or text
        collector = TurnCollector()
        message = UserMessage(text, collector, inbound.openid, input_channel=self._input_channel,
                              message_id=inbound.key, metadata=inbound.metadata)
        logger.info("turn %s of %s: %s", inbound.key, mask_openid(inbound.openid), redact(text))
        try:
            await asyncio.wait_for(self._on_new_message(message), TURN_TIMEOUT)
        except asyncio.TimeoutError:
            logger.error("turn %s took longer than %ss", inbound.key, TURN_TIMEOUT)
            return collector.parts() + [SORRY]
        except Exception:
            logger.exception("the assistant failed on turn %s", inbound.key)
            return collector.parts() + [SORRY]
        if collector.choices:
            await self._remember_choices(inbound.openid, collector.choices)
        return collector.parts()

    async def _remember_choices(self, openid: str, payloads: List[str]) -> None:
        await self._storage.set(f"choices:{openid}", json.dumps(payloads, ensure_ascii=False), CHOICES_TTL)

    async def _settled_mode(self, key: str, deadline: float) -> str:
        """Waits for the delivery's decision; after the deadline (and a grace) settles on push."""
        loop = asyncio.get_running_loop()
        give_up = deadline + GRACE
        while True:
            mode = await self._storage.get(f"mode:{key}")
            if mode in (PASSIVE, PUSH):
                return mode
            if loop.time() >= give_up:
                if await self._storage.set(f"mode:{key}", PUSH, RESULT_TTL, nx=True):
                    return PUSH
                continue
            await self._wait(key, min(POLL, give_up - loop.time()))

    # ------------------------------------------------------------ per-user order

    async def _enter(self, openid: str, key: str) -> None:
        queue = f"queue:{openid}"
        await self._storage.set(f"alive:{key}", self._owner, LEASE)
        await self._storage.enqueue(queue, key, QUEUE_TTL)
        while True:
            head = await self._storage.head(queue)
            if head == key:
                return
            if head is None:  # the queue was lost (store restarted): join again
                await self._storage.enqueue(queue, key, QUEUE_TTL)
                continue
            if not await self._storage.exists(f"alive:{head}"):
                logger.warning("skipping a dead turn %s in the queue of %s", head, mask_openid(openid))
                await self._storage.dequeue(queue, head)
                continue
            await self._wait(f"user:{openid}", POLL)

    async def _leave(self, openid: str, key: str) -> None:
        await self._storage.dequeue(f"queue:{openid}", key)
        await self._storage.delete(f"alive:{key}")
        self._wake(f"user:{openid}")

    async def _heartbeat(self, inbound: Inbound) -> None:
        while True:
            await asyncio.sleep(LEASE / 3)
            try:
                await self._storage.extend_if_equals(f"claim:{inbound.key}", self._owner, LEASE)
                await self._storage.set(f"alive:{inbound.key}", self._owner, LEASE)
            except StorageUnavailable as error:
                logger.warning("heartbeat of %s failed: %s", inbound.key, error)

    # ------------------------------------------------------------ in-process wake-ups

    def _wake(self, name: str) -> None:
        event = self._events.pop(name, None)
        if event is not None:
            event.set()

    async def _wait(self, name: str, timeout: float) -> None:
        event = self._events.get(name)
        if event is None:
            event = self._events[name] = asyncio.Event()
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0.001))
        except asyncio.TimeoutError:
            if self._events.get(name) is event:
                del self._events[name]
