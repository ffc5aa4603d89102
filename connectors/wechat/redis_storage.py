"""The Redis implementation of :class:`~connectors.wechat.storage.Storage`, shared by processes.

Each composite operation of a turn is one Lua script (atomic, one round trip), so a turn
costs a few round trips however many keys it touches; the scripts mirror the Python
definitions in ``storage.Storage``, which the in-process implementation uses.
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, List, Optional, Sequence, Tuple

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from connectors.wechat.storage import Backlog, Begun, MemoryStorage, Settled, Storage, StorageUnavailable, TurnKeys

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
_APPEND = """
for i = 3, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1"""
_BEGIN = """
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {0, 0, '', 0} end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6]) end
if not redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1] or ''
if head ~= ARGV[3] then return {1, 0, '', 0} end
local taken = ''
if ARGV[7] == '1' then
  taken = redis.call('GET', KEYS[5]) or ''
  if taken ~= '' then redis.call('DEL', KEYS[5]) end
end
local clear = 1
if redis.call('EXISTS', KEYS[6]) == 1 or redis.call('EXISTS', KEYS[7]) == 1 then clear = 0 end
return {1, 1, taken, clear}"""
_TAKE_VALUE = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value"""
_SETTLE = """
local pusher = redis.call('GET', KEYS[4])
local busy = pusher and pusher ~= ARGV[1]
if ARGV[2] == '1' and not busy then redis.call('SET', KEYS[1], 'passive', 'PX', ARGV[3], 'NX') end
local mode = redis.call('GET', KEYS[1]) or ''
if busy or (mode ~= 'passive' and mode ~= 'push') then return {mode, 0, busy and 1 or 0} end
local limit = 0
if mode == 'passive' then limit = 1 end
if tonumber(ARGV[4]) > limit then redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[5]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], 'done', 'PX', ARGV[6])
return {mode, 1, 0}"""
# KEYS: mode, queue, claim, pushing, result, pending
# ARGV: member, settle, ttl_ms, (count: from texts), lease_ms, done_ms, texts_json, take_pending,
#       backlog_turns (0: no backlog rule), backlog_texts_json
_FINISH = """
local texts = cjson.decode(ARGV[7])
if ARGV[8] == '1' then
  local pending = redis.call('LRANGE', KEYS[6], 0, -1)
  redis.call('DEL', KEYS[6])
  if #pending > 0 then
    local merged, kept, seen, turns = {}, {}, {}, 0
    for _, raw in ipairs(pending) do
      local item = cjson.decode(raw)
      local turn = type(item) == 'table' and item.turn or nil
      table.insert(merged, item)
      if type(turn) == 'string' then
        if not seen[turn] then seen[turn] = true turns = turns + 1 end
      else
        table.insert(kept, item)
      end
    end
    local limit = tonumber(ARGV[9])
    if limit > 0 and turns >= limit then
      merged = kept
      texts = cjson.decode(ARGV[10])
    end
    for _, text in ipairs(texts) do table.insert(merged, text) end
    texts = merged
  end
end
local encoded = '[]'
if #texts > 0 then encoded = cjson.encode(texts) end
redis.call('SET', KEYS[5], encoded, 'PX', ARGV[3])
ARGV[4] = tostring(#texts)
""" + _SETTLE.replace("return {", "return {encoded, ")
_DECIDE = """
local mode = redis.call('GET', KEYS[1])
if mode == 'push' then return {mode, ''} end
local result = redis.call('GET', KEYS[2])
if (not result) or mode then return {mode or '', result or ''} end
local pusher = redis.call('GET', KEYS[3])
if pusher and pusher ~= ARGV[2] then return {'', ''} end
redis.call('SET', KEYS[1], 'passive', 'PX', ARGV[1])
return {'passive', result}"""
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'done', 'PX', ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1"""
_POP_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items"""

# ------------------------------------------------------------ per-user rate limit
# KEYS: bucket; ARGV: per_second, burst. State "tokens since" (seconds on Redis's clock), kept
# until the bucket is full again; as ``MemoryStorage.take_token``.
_BUCKET_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tokens, since = burst, now
local state = redis.call('GET', KEYS[1])
if state then
  local space = string.find(state, ' ')
  tokens, since = tonumber(string.sub(state, 1, space - 1)), tonumber(string.sub(state, space + 1))
end
tokens = math.min(burst, tokens + math.max(0, now - since) * rate)
local taken = 0
if tokens >= 1 then tokens = tokens - 1 taken = 1 end
redis.call('SET', KEYS[1], string.format('%.6f %.6f', tokens, now), 'PX',
           math.ceil(((burst - tokens) / rate + 1) * 1000))
return taken"""


def _ms(ttl: float) -> int:
    return max(1, int(ttl * 1000))


class RedisStorage(Storage):
    """Redis storage shared by every server process; reconnects by itself after a restart."""

    def __init__(self, url: str, prefix: str) -> None:
        self._prefix = prefix
        self._redis = aioredis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            # A pool, not one shared connection: while the event loop is busy with the model,
            # concurrent turns' commands must not queue behind each other (measured with
            # benchmarks/wechat_load.py --model); the pool also reconnects after a Redis restart.
            retry_on_error=[RedisConnectionError, RedisTimeoutError], health_check_interval=15)
        self._scripts = {name: self._redis.register_script(source) for name, source in (
            ("delete_if_equals", _DELETE_IF_EQUALS), ("extend_if_equals", _EXTEND_IF_EQUALS),
            ("take", _TAKE), ("enqueue", _ENQUEUE), ("append", _APPEND), ("pop_all", _POP_ALL), ("begin", _BEGIN),
            ("take_value", _TAKE_VALUE), ("finish", _FINISH), ("settle", _SETTLE), ("decide", _DECIDE),
            ("leave", _LEAVE))}
        self._scripts["take_token"] = self._redis.register_script(_BUCKET_SCRIPT)  # per-user rate limit

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

    async def append(self, key: str, values: Sequence[str], ttl: float, max_len: int) -> None:
        if values:
            await self._script("append", [key], [_ms(ttl), max_len, *values])

    async def pop_all(self, key: str) -> List[str]:
        return list(await self._script("pop_all", [key], []) or [])

    async def begin(self, keys: TurnKeys, owner: str, lease: float, queue_ttl: float,
                    also_set: Optional[Tuple[str, str, float]] = None, take_if_first: Optional[str] = None,
                    pending: Optional[str] = None) -> Begun:
        extra_key, extra_value, extra_ttl = also_set if also_set is not None else ("-", "", 1.0)
        won, first, taken, clear = await self._script(
            "begin", [keys.claim, keys.queue, keys.queue + ":seq", extra_key, take_if_first or "-", keys.pushing,
                      pending or "-"],
            [owner, _ms(lease), keys.member, _ms(queue_ttl), extra_value, _ms(extra_ttl),
             "1" if take_if_first else "0"])
        return Begun(bool(won), bool(first), taken or None, bool(clear))

    async def take_value(self, key: str) -> Optional[str]:
        return await self._script("take_value", [key], [])

    async def finish(self, keys: TurnKeys, texts: List[Any], ttl: float, prepend_from: Optional[str],
                     settle_passive: bool, lease: float,
                     backlog: Optional[Backlog] = None) -> Tuple[List[Any], Settled]:
        encoded, mode, left, busy = await self._script(
            "finish", [keys.mode, keys.queue, keys.claim, keys.pushing, keys.result, prepend_from or "-"],
            [keys.member, "1" if settle_passive else "0", _ms(ttl), "0", _ms(lease), _ms(keys.done_ttl),
             json.dumps(texts, ensure_ascii=False), "1" if prepend_from else "0",
             backlog.turns if backlog else 0, json.dumps(backlog.texts if backlog else [], ensure_ascii=False)])
        return list(json.loads(encoded)), Settled(mode or None, bool(left), bool(busy))

    async def settle(self, keys: TurnKeys, count: int, settle_passive: bool, ttl: float,
                     lease: float) -> Settled:
        mode, left, busy = await self._script(
            "settle", [keys.mode, keys.queue, keys.claim, keys.pushing],
            [keys.member, "1" if settle_passive else "0", _ms(ttl), str(count), _ms(lease), _ms(keys.done_ttl)])
        return Settled(mode or None, bool(left), bool(busy))

    async def decide(self, keys: TurnKeys, ttl: float) -> Tuple[Optional[str], Optional[str]]:
        mode, result = await self._script("decide", [keys.mode, keys.result, keys.pushing], [_ms(ttl), keys.member])
        return mode or None, result or None

    async def leave(self, keys: TurnKeys) -> None:
        await self._script("leave", [keys.queue, keys.claim, keys.pushing], [keys.member, _ms(keys.done_ttl)])

    # ------------------------------------------------------------ per-user rate limit

    async def take_token(self, key: str, per_second: float, burst: int) -> bool:
        return bool(await self._script("take_token", [key], [repr(float(per_second)), int(burst)]))

    async def close(self) -> None:
        await self._redis.close()
        await self._redis.connection_pool.disconnect()

    # --- replay guard ---

    async def set_default(self, key: str, value: str, ttl: float) -> str:
        if "set_default" not in self._scripts:
            self._scripts["set_default"] = self._redis.register_script(_SET_DEFAULT)
        return await self._script("set_default", [key], [value, _ms(ttl)])


# --- replay guard: SET NX PX, else the value held (GET), in one step ---
_SET_DEFAULT = """
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]"""


def open_storage(redis_url: Optional[str], prefix: str) -> Storage:
    """Redis when ``REDIS_URL`` is set, else in-process storage."""
    return RedisStorage(redis_url, prefix) if redis_url else MemoryStorage()
