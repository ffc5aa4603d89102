"""The small key-value store behind dedup, per-user order, quota, pending replies and tokens.

One interface, two implementations: :class:`RedisStorage` shares state between every server
process (``REDIS_URL``); :class:`MemoryStorage` keeps it in-process for a single process. The
logic above (``turns``, ``outbox``, ``api``) is written once against :class:`Storage`, so the
embedded default and the production setup behave the same. Every operation that must be
atomic across processes (claim, compare-and-delete, counters, queue order) is one Redis
command or one Lua script.
"""
from __future__ import annotations

import abc
import json
import time
from typing import Dict, List, Optional, Sequence, Tuple

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError


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
    async def push(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        """Appends to a list, keeping at most the last ``max_len`` items."""

    @abc.abstractmethod
    async def pop_all(self, key: str) -> List[str]:
        """Returns and removes the whole list, atomically."""

    async def close(self) -> None:
        return None

    # Composite operations of a turn. Defined here by the primitives (atomic in-process, where
    # nothing awaits real I/O); RedisStorage runs each as one Lua script: one round trip, atomic.

    async def begin(self, claim: str, owner: str, lease: float, queue: str, member: str, queue_ttl: float,
                    also_set: Optional[Tuple[str, str, float]] = None, take_if_first: Optional[str] = None
                    ) -> Tuple[bool, Optional[str], Optional[str]]:
        """Claims ``claim``; if won, sets ``also_set``, joins ``queue`` and, when first in it, takes
        the value of ``take_if_first``. Returns (won, head of queue, taken value)."""
        if not await self.set(claim, owner, lease, nx=True):
            return False, None, None
        if also_set is not None:
            await self.set(*also_set)
        await self.enqueue(queue, member, queue_ttl)
        head = await self.head(queue)
        taken = await self.take_value(take_if_first) if take_if_first and head == member else None
        return True, head, taken

    async def take_value(self, key: str) -> Optional[str]:
        """GET and DEL at once (a remembered choice is used once)."""
        value = await self.get(key)
        if value is not None:
            await self.delete(key)
        return value

    async def finish(self, result: str, texts: List[str], ttl: float, prepend_from: Optional[str] = None, *,
                     mode: str, settle_passive: bool, queue: str, member: str, claim: str,
                     done_ttl: float) -> Tuple[List[str], Optional[str], bool]:
        """Stores a turn's texts (first moving in the JSON list ``prepend_from``); settles
        ``mode`` passive if asked and still open; when passive with at most one text (nothing
        left to push) also leaves the queue. Returns (texts, mode, left the queue)."""
        if prepend_from is not None:
            texts = [json.loads(item) for item in await self.pop_all(prepend_from)] + list(texts)
        await self.set(result, json.dumps(texts, ensure_ascii=False), ttl)
        if settle_passive:
            await self.set(mode, "passive", ttl, nx=True)
        current = await self.get(mode)
        if current == "passive" and len(texts) <= 1:
            await self.leave(queue, member, claim, "done", done_ttl)
            return list(texts), current, True
        return list(texts), current, False

    async def decide(self, mode: str, result: str, ttl: float) -> Tuple[Optional[str], Optional[str]]:
        """A delivery's look: (mode, result); a ready result with no mode yet becomes passive."""
        current = await self.get(mode)
        if current == "push":
            return current, None
        found = await self.get(result)
        if found is not None and current is None:
            current = "passive" if await self.set(mode, "passive", ttl, nx=True) else await self.get(mode)
        return current, found

    async def leave(self, queue: str, member: str, claim: str, done: str, ttl: float) -> None:
        """Leaves ``queue`` and marks the claim done (remembered ``ttl`` for late retries)."""
        await self.dequeue(queue, member)
        await self.set(claim, done, ttl)


class MemoryStorage(Storage):
    """In-process storage: correct for one server process (asyncio gives atomicity)."""

    def __init__(self, clock=time.monotonic) -> None:
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

    async def push(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        items = self._live(key)
        items = (list(items) if isinstance(items, list) else []) + list(values)
        self._put(key, items[-max_len:], ttl)

    async def pop_all(self, key: str) -> List[str]:
        items = self._live(key)
        self._values.pop(key, None)
        return list(items) if isinstance(items, list) else []


_DELETE_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""
_EXTEND_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"""
_TAKE = """
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left and left > 0 then redis.call('DECR', KEYS[1]) return 1 end
return 0"""
_ENQUEUE = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1"""
_PUSH = """
for i = 3, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1"""
_BEGIN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {0, '', ''} end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6]) end
if not redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1] or ''
local taken = ''
if ARGV[7] == '1' and head == ARGV[3] then
  taken = redis.call('GET', KEYS[5]) or ''
  if taken ~= '' then redis.call('DEL', KEYS[5]) end
end
return {1, head, taken}"""
_TAKE_VALUE = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value"""
_FINISH = """
local texts = cjson.decode(ARGV[2])
if ARGV[3] == '1' then
  local pending = redis.call('LRANGE', KEYS[2], 0, -1)
  redis.call('DEL', KEYS[2])
  if #pending > 0 then
    local merged = {}
    for _, item in ipairs(pending) do table.insert(merged, cjson.decode(item)) end
    for _, text in ipairs(texts) do table.insert(merged, text) end
    texts = merged
  end
end
local encoded = '[]'
if #texts > 0 then encoded = cjson.encode(texts) end
redis.call('SET', KEYS[1], encoded, 'PX', ARGV[1])
if ARGV[4] == '1' then redis.call('SET', KEYS[3], 'passive', 'PX', ARGV[1], 'NX') end
local mode = redis.call('GET', KEYS[3]) or ''
local left = 0
if mode == 'passive' and #texts <= 1 then
  redis.call('ZREM', KEYS[4], ARGV[5])
  redis.call('SET', KEYS[5], 'done', 'PX', ARGV[6])
  left = 1
end
return {encoded, mode, left}"""
_DECIDE = """
local mode = redis.call('GET', KEYS[1])
if mode == 'push' then return {mode, ''} end
local result = redis.call('GET', KEYS[2])
if not result then return {mode or '', ''} end
if not mode then
  redis.call('SET', KEYS[1], 'passive', 'PX', ARGV[1])
  mode = 'passive'
end
return {mode, result}"""
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1"""
_POP_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items"""


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class RedisStorage(Storage):
    """Redis storage shared by every server process; reconnects by itself after a restart."""

    def __init__(self, url: str, prefix: str) -> None:
        self._prefix = prefix
        self._redis = aioredis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError], health_check_interval=15,
            # One connection per process: redis-py's pool check-out costs more CPU than the few
            # short commands of a turn (measured with benchmarks/wechat_load.py); it reconnects
            # by itself after a Redis restart.
            single_connection_client=True)
        self._scripts = {name: self._redis.register_script(source) for name, source in (
            ("delete_if_equals", _DELETE_IF_EQUALS), ("extend_if_equals", _EXTEND_IF_EQUALS),
            ("take", _TAKE), ("enqueue", _ENQUEUE), ("push", _PUSH), ("pop_all", _POP_ALL), ("begin", _BEGIN),
            ("take_value", _TAKE_VALUE), ("finish", _FINISH), ("decide", _DECIDE), ("leave", _LEAVE))}

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _run(self, awaitable):
        try:
            return await awaitable
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise StorageUnavailable(f"Redis unreachable: {error}") from error
        except RedisError as error:
            raise StorageUnavailable(f"Redis error: {error}") from error

    async def _script(self, name: str, keys: List[str], args: List[object]):
        return await self._run(self._scripts[name](keys=[self._key(k) for k in keys], args=args))

    async def set(self, key: str, value: str, ttl: float, nx: bool = False) -> bool:
        return bool(await self._run(self._redis.set(self._key(key), value, px=_ms(ttl), nx=nx)))

    async def get(self, key: str) -> Optional[str]:
        return await self._run(self._redis.get(self._key(key)))

    async def delete(self, key: str) -> None:
        await self._run(self._redis.delete(self._key(key)))

    async def delete_if_equals(self, key: str, value: str) -> bool:
        return bool(await self._script("delete_if_equals", [key], [value]))

    async def extend_if_equals(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self._script("extend_if_equals", [key], [value, _ms(ttl)]))

    async def exists(self, key: str) -> bool:
        return bool(await self._run(self._redis.exists(self._key(key))))

    async def take(self, key: str) -> bool:
        return bool(await self._script("take", [key], []))

    async def enqueue(self, key: str, member: str, ttl: float) -> None:
        await self._script("enqueue", [key, key + ":seq"], [member, _ms(ttl)])

    async def head(self, key: str) -> Optional[str]:
        first = await self._run(self._redis.zrange(self._key(key), 0, 0))
        return first[0] if first else None

    async def dequeue(self, key: str, member: str) -> None:
        await self._run(self._redis.zrem(self._key(key), member))

    async def push(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        if values:
            await self._script("push", [key], [_ms(ttl), max_len, *values])

    async def pop_all(self, key: str) -> List[str]:
        return list(await self._script("pop_all", [key], []) or [])

    async def begin(self, claim: str, owner: str, lease: float, queue: str, member: str, queue_ttl: float,
                    also_set: Optional[Tuple[str, str, float]] = None, take_if_first: Optional[str] = None
                    ) -> Tuple[bool, Optional[str], Optional[str]]:
        extra_key, extra_value, extra_ttl = also_set if also_set is not None else ("-", "", 1.0)
        won, head, taken = await self._script(
            "begin", [claim, queue, queue + ":seq", extra_key, take_if_first or "-"],
            [owner, _ms(lease), member, _ms(queue_ttl), extra_value, _ms(extra_ttl), "1" if take_if_first else "0"])
        return bool(won), head or None, taken or None

    async def take_value(self, key: str) -> Optional[str]:
        return await self._script("take_value", [key], [])

    async def finish(self, result: str, texts: List[str], ttl: float, prepend_from: Optional[str] = None, *,
                     mode: str, settle_passive: bool, queue: str, member: str, claim: str,
                     done_ttl: float) -> Tuple[List[str], Optional[str], bool]:
        encoded, current, left = await self._script(
            "finish", [result, prepend_from or "-", mode, queue, claim],
            [_ms(ttl), json.dumps(texts, ensure_ascii=False), "1" if prepend_from else "0",
             "1" if settle_passive else "0", member, _ms(done_ttl)])
        return list(json.loads(encoded)), current or None, bool(left)

    async def decide(self, mode: str, result: str, ttl: float) -> Tuple[Optional[str], Optional[str]]:
        current, found = await self._script("decide", [mode, result], [_ms(ttl)])
        return current or None, found or None

    async def leave(self, queue: str, member: str, claim: str, done: str, ttl: float) -> None:
        await self._script("leave", [queue, claim], [member, done, _ms(ttl)])

    async def close(self) -> None:
        await self._redis.close()
        await self._redis.connection_pool.disconnect()


def open_storage(redis_url: Optional[str], prefix: str) -> Storage:
    """Redis when ``REDIS_URL`` is set, else in-process storage."""
    return RedisStorage(redis_url, prefix) if redis_url else MemoryStorage()
