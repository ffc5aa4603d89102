"""The Lua scripts of the WeChat channel's storage: each composite step of a turn is one script.

They are the one implementation of every transition of a push's state (``turns`` draws the
states): Redis runs them in production, and fakeredis runs the very same source in-process for
the single-process default (``storage.Storage.in_process``). Each is atomic and one round trip.
"""
DELETE_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""
EXTEND_IF_EQUALS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"""
SPEND = """
local units = tonumber(redis.call('GET', KEYS[1]) or '0')
if units and units > 0 then redis.call('DECR', KEYS[1]) return 1 end
return 0"""
ENQUEUE = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1"""
APPEND = """
for i = 3, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1"""
# The record of one push is the hash KEYS[1] = turn:<key>: owner (the claiming process, or "done"),
# mode (passive | push, set once), result (the turn's texts as JSON). Its TTL is the claim's lease
# while the turn runs (renewed by the heartbeat: RENEW), then the dedup time once it is done.
# _RECORD: helpers shared by the scripts that write the record.
_RECORD = """
local function keep_alive(ttl_ms)  -- a record written without a TTL gets ttl_ms
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ttl_ms) end
end
local function mark_done(done_ms)
  redis.call('HSET', KEYS[1], 'owner', 'done')
  redis.call('PEXPIRE', KEYS[1], done_ms)
end
"""
# KEYS: record, queue, queue_seq, also_set_key, take_key, pushing, pending
# ARGV: owner, lease_ms, member, queue_ttl_ms, also_set_value, also_set_ttl_ms, take_flag
BEGIN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0, '', 0} end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
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
# KEYS: record; ARGV: owner, lease_ms. The heartbeat of a running turn.
RENEW = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"""
# KEYS: record; ARGV: ttl_ms. A delivery's deadline passed: mode push, unless already settled.
PUSH_IF_OPEN = _RECORD + """
if redis.call('HSETNX', KEYS[1], 'mode', 'push') == 0 then return 0 end
keep_alive(ARGV[1])
return 1"""
TAKE_VALUE = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value"""
# settle(), shared by SETTLE and FINISH. KEYS: record, queue, pushing. Returns {mode, done, busy}.
_SETTLE_FUNCTION = _RECORD + """
local function settle(member, settle_passive, count, lease_ms, done_ms)
  local pusher = redis.call('GET', KEYS[3])
  local busy = pusher and pusher ~= member
  if settle_passive == '1' and not busy then
    redis.call('HSETNX', KEYS[1], 'mode', 'passive')
    keep_alive(lease_ms)
  end
  local mode = redis.call('HGET', KEYS[1], 'mode') or ''
  if busy or (mode ~= 'passive' and mode ~= 'push') then return {mode, 0, busy and 1 or 0} end
  local limit = 0
  if mode == 'passive' then limit = 1 end
  if count > limit then redis.call('SET', KEYS[3], member, 'PX', lease_ms) end
  redis.call('ZREM', KEYS[2], member)
  mark_done(done_ms)
  return {mode, 1, 0}
end
"""
# KEYS: record, queue, pushing; ARGV: member, settle_passive, count, lease_ms, done_ms
SETTLE = _SETTLE_FUNCTION + "return settle(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5])"
# KEYS: record, queue, pushing, pending
# ARGV: member, settle_passive, lease_ms, done_ms, texts_json, take_pending, backlog_turns (0: no backlog
#       rule), backlog_texts_json
FINISH = _SETTLE_FUNCTION + """
local texts = cjson.decode(ARGV[5])
if ARGV[6] == '1' then
  local pending = redis.call('LRANGE', KEYS[4], 0, -1)
  redis.call('DEL', KEYS[4])
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
    local limit = tonumber(ARGV[7])
    if limit > 0 and turns >= limit then
      merged = kept
      texts = cjson.decode(ARGV[8])
    end
    for _, text in ipairs(texts) do table.insert(merged, text) end
    texts = merged
  end
end
local encoded = '[]'
if #texts > 0 then encoded = cjson.encode(texts) end
redis.call('HSET', KEYS[1], 'result', encoded)
keep_alive(ARGV[3])
local settled = settle(ARGV[1], ARGV[2], #texts, ARGV[3], ARGV[4])
return {encoded, settled[1], settled[2], settled[3]}"""
# KEYS: record, pushing; ARGV: member
DECIDE = """
local mode = redis.call('HGET', KEYS[1], 'mode')
if mode == 'push' then return {mode, ''} end
local result = redis.call('HGET', KEYS[1], 'result')
if (not result) or mode then return {mode or '', result or ''} end
local pusher = redis.call('GET', KEYS[2])
if pusher and pusher ~= ARGV[1] then return {'', ''} end
redis.call('HSET', KEYS[1], 'mode', 'passive')
return {'passive', result}"""
# KEYS: record, queue, pushing; ARGV: member, done_ms
LEAVE = _RECORD + """
redis.call('ZREM', KEYS[2], ARGV[1])
mark_done(ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1"""
POP_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items"""

# ------------------------------------------------------------ per-user rate limit
# KEYS: bucket; ARGV: per_second, burst. State "tokens since" (seconds on Redis's clock), kept
# until the bucket is full again.
TAKE_FROM_BUCKET = """
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

# --- replay guard: SET NX PX, else the value held (GET), in one step ---
SET_DEFAULT = """
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]"""

BY_NAME = {"delete_if_equals": DELETE_IF_EQUALS, "extend_if_equals": EXTEND_IF_EQUALS, "spend": SPEND,
           "enqueue": ENQUEUE, "append": APPEND, "pop_all": POP_ALL, "begin": BEGIN, "take_value": TAKE_VALUE,
           "finish": FINISH, "settle": SETTLE, "decide": DECIDE, "leave": LEAVE, "take_token": TAKE_FROM_BUCKET,
           "renew": RENEW, "push_if_open": PUSH_IF_OPEN,
           "set_default": SET_DEFAULT}
