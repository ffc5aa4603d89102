"""The small key-value store behind dedup, per-user order, quota, pending replies and tokens.

One interface, two implementations: ``redis_storage.RedisStorage`` shares state between every
server process (``REDIS_URL``); :class:`MemoryStorage` keeps it in-process for a single process. The
logic above (``turns``, ``outbox``, ``api``) is written once against :class:`Storage`, so the
embedded default and the production setup behave the same. Every operation that must be
atomic across processes (claim, compare-and-delete, counters, queue order) is one Redis
command or one Lua script.
"""
from __future__ import annotations

import abc
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple


class StorageUnavailable(Exception):
    """The shared store cannot be reached; the request should be retried later (HTTP 503)."""


class Storage(abc.ABC):
    """Keys are given without prefix; TTLs are in seconds."""

    @abc.abstractmethod
    async def set(self, key: str, value: str, ttl: float, nx: bool = False) -> bool:
        """Sets ``key``; with ``nx`` only when absent. True when written."""

    @abc.abstractmethod
    async def get(self, key: str) -> Optional[str]: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> None: ...

    @abc.abstractmethod
    async def delete_if_equals(self, key: str, value: str) -> bool:
        """Deletes ``key`` only while it still holds ``value`` (release what one owns)."""

    @abc.abstractmethod
    async def extend_if_equals(self, key: str, value: str, ttl: float) -> bool:
        """Renews the TTL of ``key`` only while it still holds ``value`` (lease heartbeat)."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    async def take(self, key: str) -> bool:
        """Decrements a positive counter; False when absent or exhausted (quota)."""

    @abc.abstractmethod
    async def enqueue(self, key: str, member: str, ttl: float) -> None:
        """Appends ``member`` to an ordered queue (order of arrival across processes)."""

    @abc.abstractmethod
    async def head(self, key: str) -> Optional[str]: ...

    @abc.abstractmethod
    async def dequeue(self, key: str, member: str) -> None: ...

    @abc.abstractmethod
    async def append(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        """Appends to a list, keeping at most the last ``max_len`` items."""

    @abc.abstractmethod
    async def pop_all(self, key: str) -> List[str]:
        """Returns and removes the whole list, atomically."""

    async def close(self) -> None:
        return None

    # ------------------------------------------------------------ per-user rate limit
    # A token bucket per key: ``burst`` messages at once, refilled at ``per_second``; one atomic
    # operation (a Lua script on Redis, on Redis's own clock), so every process shares it.

    @abc.abstractmethod
    async def take_token(self, key: str, per_second: float, burst: int) -> bool:
        """Takes one token from the bucket ``key`` (created full); False when it is empty."""

    # Composite operations of a turn (see ``turns``). Defined here by the primitives, which is
    # atomic in-process (nothing in MemoryStorage awaits real I/O); RedisStorage runs each as one
    # Lua script: one round trip, atomic across processes.

    async def begin(self, keys: "TurnKeys", owner: str, lease: float, queue_ttl: float,
                    also_set: Optional[Tuple[str, str, float]] = None, take_if_first: Optional[str] = None,
                    pending: Optional[str] = None) -> "Begun":
        """Claims the push; if won, sets ``also_set`` and joins the user's queue; when first in
        it, takes the value of ``take_if_first`` and tells whether the way is clear: no earlier
        turn still pushes and nothing waits in the list ``pending``."""
        if not await self.set(keys.claim, owner, lease, nx=True):
            return Begun(False, False, None, False)
        if also_set is not None:
            await self.set(*also_set)
        await self.enqueue(keys.queue, keys.member, queue_ttl)
        if await self.head(keys.queue) != keys.member:
            return Begun(True, False, None, False)
        taken = await self.take_value(take_if_first) if take_if_first else None
        clear = await self.get(keys.pushing) is None and not (pending and await self.exists(pending))
        return Begun(True, True, taken, clear)

    async def take_value(self, key: str) -> Optional[str]:
        """GET and DEL at once (a remembered choice is used once)."""
        value = await self.get(key)
        if value is not None:
            await self.delete(key)
        return value

    async def finish(self, keys: "TurnKeys", texts: List[Any], ttl: float, prepend_from: Optional[str],
                     settle_passive: bool, lease: float,
                     backlog: Optional["Backlog"] = None) -> Tuple[List[Any], "Settled"]:
        """Stores a turn's texts (first moving in the JSON list ``prepend_from``), then ``settle``.

        With ``backlog``: when the moved items carry ``backlog.turns`` or more distinct "turn"
        values (answers to that many earlier messages), those items are dropped, the others
        (without "turn") kept, and ``backlog.texts`` stored instead of ``texts``."""
        if prepend_from is not None:
            moved = [json.loads(item) for item in await self.pop_all(prepend_from)]
            if backlog is not None and len(_turns_of(moved)) >= backlog.turns:
                moved = [item for item in moved if not _turns_of([item])]
                texts = backlog.texts
            texts = moved + list(texts)
        await self.set(keys.result, json.dumps(texts, ensure_ascii=False), ttl)
        return list(texts), await self.settle(keys, len(texts), settle_passive, ttl, lease)

    async def settle(self, keys: "TurnKeys", count: int, settle_passive: bool, ttl: float,
                     lease: float) -> "Settled":
        """Unless an earlier turn of the user is still pushing ("busy"): settles ``passive`` if
        asked and still open; once the mode is known, takes the user's output (``pushing``) when
        there is something to push, marks the claim done and leaves the queue."""
        pusher = await self.get(keys.pushing)
        busy = pusher is not None and pusher != keys.member
        if settle_passive and not busy:
            await self.set(keys.mode, "passive", ttl, nx=True)
        mode = await self.get(keys.mode)
        if busy or mode not in ("passive", "push"):
            return Settled(mode, False, busy)
        if count > (1 if mode == "passive" else 0):
            await self.set(keys.pushing, keys.member, lease)
        await self.dequeue(keys.queue, keys.member)
        await self.set(keys.claim, "done", keys.done_ttl)
        return Settled(mode, True, False)

    async def decide(self, keys: "TurnKeys", ttl: float) -> Tuple[Optional[str], Optional[str]]:
        """A delivery's look: (mode, result). A ready result with no mode yet becomes passive,
        unless an earlier turn of the user is still pushing (its messages must come first)."""
        mode = await self.get(keys.mode)
        if mode == "push":
            return mode, None
        result = await self.get(keys.result)
        if result is None or mode is not None:
            return mode, result
        pusher = await self.get(keys.pushing)
        if pusher is not None and pusher != keys.member:
            return None, None
        await self.set(keys.mode, "passive", ttl)
        return "passive", result

    async def leave(self, keys: "TurnKeys") -> None:
        """Gives everything up (a failed turn): queue place, claim, and the output if held."""
        await self.dequeue(keys.queue, keys.member)
        await self.set(keys.claim, "done", keys.done_ttl)
        await self.delete_if_equals(keys.pushing, keys.member)

    # --- replay guard ---

    async def set_default(self, key: str, value: str, ttl: float) -> str:
        """Sets ``key`` to ``value`` unless it exists (SET NX with TTL), like ``dict.setdefault``;
        returns what ``key`` holds afterwards: ``value`` when it was set now or held it already."""
        if await self.set(key, value, ttl, nx=True):
            return value
        held = await self.get(key)
        return value if held is None else held  # expired in between: nothing else holds it


@dataclass(frozen=True)
class TurnKeys:
    """The keys of one push's turn (built by ``turns``)."""
    member: str  # the push's key
    claim: str
    mode: str
    result: str
    queue: str  # the user's queue
    pushing: str  # which turn of the user is sending customer-service messages now
    done_ttl: float


@dataclass(frozen=True)
class Begun:
    won: bool  # this delivery claimed the push: its process runs the turn
    first: bool  # no earlier message of the user is waiting or running
    taken: Optional[str]  # the value taken (a remembered choice), when first
    clear: bool  # first, no earlier turn pushing, nothing pending: the answer may go when it is ready


@dataclass(frozen=True)
class Backlog:
    """``finish``'s rule for stale kept answers (see ``outbox``)."""
    turns: int  # kept answers to this many distinct earlier turns are stale
    texts: List[Any]  # then stored instead of the turn's own texts


def _turns_of(items: List[Any]) -> Set[str]:
    return {item["turn"] for item in items if isinstance(item, dict) and isinstance(item.get("turn"), str)}


@dataclass(frozen=True)
class Settled:
    mode: Optional[str]
    left: bool  # left the queue (the next turn may run); took the output if it has to push
    busy: bool  # an earlier turn of the user is still pushing


class MemoryStorage(Storage):
    """In-process storage: correct for one server process (asyncio gives atomicity)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: Dict[str, Tuple[object, float]] = {}
        self._sequence = 0

    def _live(self, key: str) -> Optional[object]:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires <= self._clock():
            del self._values[key]
            return None
        return value

    def _put(self, key: str, value: object, ttl: float) -> None:
        self._values[key] = (value, self._clock() + ttl)

    async def set(self, key: str, value: str, ttl: float, nx: bool = False) -> bool:
        if nx and self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

    async def get(self, key: str) -> Optional[str]:
        value = self._live(key)
        return value if isinstance(value, str) else None

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def delete_if_equals(self, key: str, value: str) -> bool:
        if self._live(key) == value:
            del self._values[key]
            return True
        return False

    async def extend_if_equals(self, key: str, value: str, ttl: float) -> bool:
        if self._live(key) == value:
            self._put(key, value, ttl)
            return True
        return False

    async def exists(self, key: str) -> bool:
        return self._live(key) is not None

    async def take(self, key: str) -> bool:
        value = self._live(key)
        if not isinstance(value, str) or int(value) <= 0:
            return False
        self._values[key] = (str(int(value) - 1), self._values[key][1])
        return True

    async def enqueue(self, key: str, member: str, ttl: float) -> None:
        queue = self._live(key)
        if not isinstance(queue, dict):
            queue = {}
        self._sequence += 1
        queue.setdefault(member, self._sequence)
        self._put(key, queue, ttl)

    async def head(self, key: str) -> Optional[str]:
        queue = self._live(key)
        if not isinstance(queue, dict) or not queue:
            return None
        return min(queue, key=queue.__getitem__)

    async def dequeue(self, key: str, member: str) -> None:
        queue = self._live(key)
        if isinstance(queue, dict):
            queue.pop(member, None)

    async def append(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        items = self._live(key)
        items = (list(items) if isinstance(items, list) else []) + list(values)
        self._put(key, items[-max_len:], ttl)

    async def pop_all(self, key: str) -> List[str]:
        items = self._live(key)
        self._values.pop(key, None)
        return list(items) if isinstance(items, list) else []

    # ------------------------------------------------------------ per-user rate limit

    async def take_token(self, key: str, per_second: float, burst: int) -> bool:
        now = self._clock()
        state = self._live(key)
        tokens, since = state if isinstance(state, tuple) else (float(burst), now)
        tokens = min(float(burst), tokens + max(0.0, now - since) * per_second)
        taken = tokens >= 1.0
        if taken:
            tokens -= 1.0
        self._put(key, (tokens, now), _refill_time(tokens, per_second, burst))
        return taken


def _refill_time(tokens: float, per_second: float, burst: int) -> float:
    """How long a bucket's state matters: until it is full again (then it is the same as absent)."""
    return (burst - tokens) / per_second + 1.0
