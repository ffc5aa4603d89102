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
            retry_on_error=[RedisConnectionError, RedisTimeoutError], health_check_interval=15)
        self._scripts = {name: self._redis.register_script(source) for name, source in (
            ("delete_if_equals", _DELETE_IF_EQUALS), ("extend_if_equals", _EXTEND_IF_EQUALS),
            ("take", _TAKE), ("enqueue", _ENQUEUE), ("push", _PUSH), ("pop_all", _POP_ALL))}

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

    async def close(self) -> None:
        await self._redis.close()
        await self._redis.connection_pool.disconnect()


def open_storage(redis_url: Optional[str], prefix: str) -> Storage:
    """Redis when ``REDIS_URL`` is set, else in-process storage."""
    return RedisStorage(redis_url, prefix) if redis_url else MemoryStorage()
