"""The small key-value store behind dedup, per-user order, turns, quota, pending replies and tokens.

One implementation: every operation is one Redis command or one Lua script (``scripts``), atomic
across processes. With ``REDIS_URL`` it talks to Redis, shared by every server process
(:meth:`Storage.connect`); without it, fakeredis, a maintained Redis emulation that runs Lua
through lupa, executes the same commands and the same scripts in this process
(:meth:`Storage.in_process`). The single-process default and production therefore run one
definition of each transition of a turn, not two that must be kept alike.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List, Optional, Sequence, Tuple, Union

import fakeredis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from connectors.wechat import scripts


class StorageUnavailable(Exception):
    """The shared store cannot be reached; the request should be retried later (HTTP 503)."""


def record_of(member: str) -> str:
    """The key of a push's one state record: a hash of owner, mode and result (``scripts``)."""
    return f"turn:{member}"


@dataclass(frozen=True)
class TurnKeys:
    """The keys of one push's turn (built by ``turns``)."""
    member: str  # the push's key
    queue: str  # the user's queue
    pushing: str  # which turn of the user is sending customer-service messages now
    done_ttl: float

    @property
    def record(self) -> str:
        return record_of(self.member)


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


@dataclass(frozen=True)
class Settled:
    mode: Optional[str]
    done: bool  # the claim is done and the turn left the queue (the next one may run); took the output if it pushes
    busy: bool  # an earlier turn of the user is still pushing


class InProcessRedis:
    """fakeredis's synchronous client behind the asyncio client's interface (``Storage.in_process``).

    Each command runs to completion inside the coroutine that awaits it. fakeredis's own asyncio
    client passes every command through a simulated socket, several event-loop iterations each;
    under load the loop is busy with the model, each iteration waits behind other conversations,
    and a webhook turn (a dozen commands) answered 1.6 times slower than REST
    (``benchmarks/wechat_load.py --model``: p50 518 ms against 324 ms). Inline, the commands cost
    what the plain Python store they replaced did. Same server, same Lua scripts (lupa)."""

    def __init__(self) -> None:
        self._client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)

    def register_script(self, source: str) -> Callable[..., Awaitable[Any]]:
        script = self._client.register_script(source)

        async def run(keys: Sequence[str] = (), args: Sequence[object] = ()) -> Any:
            return script(keys=keys, args=args)
        return run

    async def close(self, close_connection_pool: bool = True) -> None:
        self._client.close()

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        command = getattr(self._client, name)

        async def run(*args: Any, **kwargs: Any) -> Any:
            return command(*args, **kwargs)
        return run


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class Storage:
    """Keys are given without prefix; TTLs are in seconds."""

    def __init__(self, client: Union[aioredis.Redis, InProcessRedis], prefix: str = "") -> None:
        self._prefix = prefix
        self._redis = client
        self._scripts = {name: client.register_script(source) for name, source in scripts.BY_NAME.items()}

    @classmethod
    def connect(cls, url: str, prefix: str) -> "Storage":
        """Redis, shared by every server process; reconnects by itself after a restart."""
        return cls(aioredis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            # A pool, not one shared connection: while the event loop is busy with the model,
            # concurrent turns' commands must not queue behind each other (measured with
            # benchmarks/wechat_load.py --model); the pool also reconnects after a Redis restart.
            retry_on_error=[RedisConnectionError, RedisTimeoutError], health_check_interval=15), prefix)

    @classmethod
    def in_process(cls, prefix: str = "") -> "Storage":
        """A Redis of this process alone (fakeredis, Lua by lupa): one server process only."""
        return cls(InProcessRedis(), prefix)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _run(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise StorageUnavailable(f"Redis unreachable: {error}") from error
        except RedisError as error:
            raise StorageUnavailable(f"Redis error: {error}") from error

    async def _script(self, name: str, keys: List[str], args: List[object]) -> Any:
        return await self._run(self._scripts[name](keys=[self._key(k) for k in keys], args=args))

    async def close(self) -> None:
        await self._redis.close(close_connection_pool=True)

    # --- plain values -----------------------------------------------------------------

    async def set(self, key: str, value: str, ttl: float, nx: bool = False) -> bool:
        """Sets ``key``; with ``nx`` only when absent. True when written."""
        return bool(await self._run(self._redis.set(self._key(key), value, px=_ms(ttl), nx=nx)))

    async def get(self, key: str) -> Optional[str]:
        return await self._run(self._redis.get(self._key(key)))

    async def delete(self, key: str) -> None:
        await self._run(self._redis.delete(self._key(key)))

    async def exists(self, key: str) -> bool:
        return bool(await self._run(self._redis.exists(self._key(key))))

    async def delete_if_equals(self, key: str, value: str) -> bool:
        """Deletes ``key`` only while it still holds ``value`` (release what one owns)."""
        return bool(await self._script("delete_if_equals", [key], [value]))

    async def extend_if_equals(self, key: str, value: str, ttl: float) -> bool:
        """Renews the TTL of ``key`` only while it still holds ``value`` (lease heartbeat)."""
        return bool(await self._script("extend_if_equals", [key], [value, _ms(ttl)]))

    async def counter(self, key: str) -> Tuple[int, float]:
        """A counter's value and the seconds it has left (0 and 0.0 when absent)."""
        value = await self._run(self._redis.get(self._key(key)))
        milliseconds = await self._run(self._redis.pttl(self._key(key)))
        return (int(value), milliseconds / 1000.0) if value is not None and milliseconds > 0 else (0, 0.0)

    async def spend(self, key: str) -> bool:
        """Spends one unit of a counter (a quota); False when absent or exhausted."""
        return bool(await self._script("spend", [key], []))

    async def take_value(self, key: str) -> Optional[str]:
        """GET and DEL at once (a remembered choice is used once)."""
        return await self._script("take_value", [key], [])

    async def set_default(self, key: str, value: str, ttl: float) -> str:
        """Sets ``key`` to ``value`` unless it exists, like ``dict.setdefault`` (replay guard);
        returns what ``key`` holds afterwards."""
        return await self._script("set_default", [key], [value, _ms(ttl)])

    async def take_token(self, key: str, per_second: float, burst: int) -> bool:
        """Takes one token from the bucket ``key`` (created full; refilled at ``per_second`` up to
        ``burst``, on Redis's clock); False when it is empty (per-user rate limit)."""
        return bool(await self._script("take_token", [key], [repr(float(per_second)), int(burst)]))

    # --- queues and lists ------------------------------------------------------------

    async def enqueue(self, key: str, member: str, ttl: float) -> None:
        """Appends ``member`` to an ordered queue (order of arrival across processes)."""
        await self._script("enqueue", [key, key + ":seq"], [member, _ms(ttl)])

    async def head(self, key: str) -> Optional[str]:
        first = await self._run(self._redis.zrange(self._key(key), 0, 0))
        return first[0] if first else None

    async def dequeue(self, key: str, member: str) -> None:
        await self._run(self._redis.zrem(self._key(key), member))

    async def append(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        """Appends to a list, keeping at most the last ``max_len`` items."""
        if values:
            await self._script("append", [key], [_ms(ttl), max_len, *values])

    async def pop_all(self, key: str) -> List[str]:
        """Returns and removes the whole list, atomically."""
        return list(await self._script("pop_all", [key], []) or [])

    # --- the transitions of a turn (``turns`` draws them) ------------------------------

    async def owner_of(self, member: str) -> Optional[str]:
        """Who runs the push: a process's id, "done", or None when there is no record (any more)."""
        return await self._run(self._redis.hget(self._key(record_of(member)), "owner"))

    async def mode_of(self, member: str) -> Optional[str]:
        """How the push is answered once settled: "passive", "push", or None while open."""
        return await self._run(self._redis.hget(self._key(record_of(member)), "mode"))

    async def renew(self, member: str, owner: str, lease: float) -> bool:
        """Extends the claim's lease while ``owner`` still holds it (the heartbeat of a turn)."""
        return bool(await self._script("renew", [record_of(member)], [owner, _ms(lease)]))

    async def push_if_open(self, member: str, ttl: float) -> bool:
        """Settles the push on "push" (its delivery's deadline passed) unless its mode is settled."""
        return bool(await self._script("push_if_open", [record_of(member)], [_ms(ttl)]))

    async def begin(self, keys: TurnKeys, owner: str, lease: float, queue_ttl: float,
                    also_set: Optional[Tuple[str, str, float]] = None, take_if_first: Optional[str] = None,
                    pending: Optional[str] = None) -> Begun:
        """Claims the push; if won, sets ``also_set`` and joins the user's queue; when first in
        it, takes the value of ``take_if_first`` and tells whether the way is clear: no earlier
        turn still pushes and nothing waits in the list ``pending``."""
        extra_key, extra_value, extra_ttl = also_set if also_set is not None else ("-", "", 1.0)
        won, first, taken, clear = await self._script(
            "begin", [keys.record, keys.queue, keys.queue + ":seq", extra_key, take_if_first or "-", keys.pushing,
                      pending or "-"],
            [owner, _ms(lease), keys.member, _ms(queue_ttl), extra_value, _ms(extra_ttl),
             "1" if take_if_first else "0"])
        return Begun(bool(won), bool(first), taken or None, bool(clear))

    async def finish(self, keys: TurnKeys, texts: List[Any], prepend_from: Optional[str], settle_passive: bool,
                     lease: float,
                     backlog: Optional[Backlog] = None) -> Tuple[List[Any], Settled]:
        """Stores a turn's texts (first moving in the JSON list ``prepend_from``), then ``settle``.

        With ``backlog``: when the moved items carry ``backlog.turns`` or more distinct "turn"
        values (answers to that many earlier messages), those items are dropped, the others
        (without "turn") kept, and ``backlog.texts`` stored instead of ``texts``."""
        encoded, mode, done, busy = await self._script(
            "finish", [keys.record, keys.queue, keys.pushing, prepend_from or "-"],
            [keys.member, "1" if settle_passive else "0", _ms(lease), _ms(keys.done_ttl),
             json.dumps(texts, ensure_ascii=False), "1" if prepend_from else "0",
             backlog.turns if backlog else 0, json.dumps(backlog.texts if backlog else [], ensure_ascii=False)])
        return list(json.loads(encoded)), Settled(mode or None, bool(done), bool(busy))

    async def settle(self, keys: TurnKeys, count: int, settle_passive: bool, lease: float) -> Settled:
        """Unless an earlier turn of the user is still pushing ("busy"): settles ``passive`` if
        asked and still open; once the mode is known, takes the user's output (``pushing``) when
        there is something to push, marks the claim done and leaves the queue."""
        mode, done, busy = await self._script(
            "settle", [keys.record, keys.queue, keys.pushing],
            [keys.member, "1" if settle_passive else "0", str(count), _ms(lease), _ms(keys.done_ttl)])
        return Settled(mode or None, bool(done), bool(busy))

    async def decide(self, keys: TurnKeys) -> Tuple[Optional[str], Optional[str]]:
        """A delivery's look: (mode, result). A ready result with no mode yet becomes passive,
        unless an earlier turn of the user is still pushing (its messages must come first)."""
        mode, result = await self._script("decide", [keys.record, keys.pushing], [keys.member])
        return mode or None, result or None

    async def leave(self, keys: TurnKeys) -> None:
        """Gives everything up (a failed turn): queue place, claim, and the output if held."""
        await self._script("leave", [keys.record, keys.queue, keys.pushing], [keys.member, _ms(keys.done_ttl)])


def open_storage(redis_url: Optional[str], prefix: str) -> Storage:
    """Redis when ``REDIS_URL`` is set, else the same operations in-process."""
    return Storage.connect(redis_url, prefix) if redis_url else Storage.in_process(prefix)
