/**
 * The store's Lua scripts. Each runs atomically in Redis, so an append, a take with its lease, and an
 * acknowledgement or dead letter are each all or nothing for every other client, and reach the
 * append-only file as one transaction.
 *
 * Keys under the prefix `P`: `P:seq` (the last id given), `P:destinations` (a hash: destination ->
 * body bytes held, present while it holds envelopes), `P:q:<destination>` (a stream per destination,
 * entries `<id>-0` in append order, fields `h b` as `codec.ts` says), `P:dead` (a stream of dead
 * letters), `P:lease:<destination>` (the drain lease: the holder's token, with an expiry) and
 * `P:reply:<token>` (the reply of a mutating script, kept a while so that a retried call finds it
 * instead of doing its work twice).
 */
import * as Redis from "effect/persistence/Redis"

const keysThenArgs = (keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) => [...keys, ...args]
const keyCount = (keys: ReadonlyArray<string>) => keys.length

/**
 * Appends envelopes, each to its destination's stream, under consecutive ids; replies the first id.
 * KEYS: seq, destinations, reply, then the batch's streams, once each. ARGV: the reply's lifetime
 * (ms), the number of streams, per stream its destination and the body bytes added to it, then per
 * envelope the number of its stream (1 for the first), its head and its body.
 */
export const append = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
local done = redis.call('GET', KEYS[3])
if done then return done end
local streams = tonumber(ARGV[2])
local from = 3 + streams * 2
local count = (#ARGV - from + 1) / 3
local first = redis.call('INCRBY', KEYS[1], count) - count + 1
for i = 0, count - 1 do
  local a = from + i * 3
  redis.call('XADD', KEYS[3 + tonumber(ARGV[a])], string.format('%d-0', first + i), 'h', ARGV[a + 1], 'b', ARGV[a + 2])
end
for s = 1, streams do redis.call('HINCRBY', KEYS[2], ARGV[1 + s * 2], ARGV[2 + s * 2]) end
local reply = string.format('%d', first)
redis.call('SET', KEYS[3], reply, 'PX', ARGV[1])
return reply
`
}).withReturnType<string>()

/**
 * The oldest entries of a destination, at most ARGV[3], taking or renewing its lease for ARGV[1] for
 * ARGV[2] ms; `nil` while another holds the lease. Nothing left to take gives the lease up, so that
 * another instance may drain what is appended next. KEYS: lease, stream.
 */
export const take = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return false end
local entries = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', ARGV[3])
if #entries == 0 then
  if holder then redis.call('DEL', KEYS[1]) end
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return entries
`
}).withReturnType<ReadonlyArray<readonly [string, ReadonlyArray<string>]> | null>()

/**
 * Removes envelopes by id, copying them to the dead letters first when ARGV[2] is `dead`; replies
 * `"<messages> <bytes>"` removed. Ids not held count for nothing, an id given twice once. A stream
 * left empty is deleted with its destination. KEYS: destinations, reply, dead letters, then one
 * stream per id. ARGV: the reply's lifetime (ms), `ack` or `dead`, the reason, the time, then per id
 * destination, stream entry id, envelope id.
 */
export const remove = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
local done = redis.call('GET', KEYS[2])
if done then return done end
local dead = ARGV[2] == 'dead'
local messages, bytes = 0, 0
for i = 1, #KEYS - 3 do
  local a = 4 + (i - 1) * 3
  local key = KEYS[3 + i]
  local found = redis.call('XRANGE', key, ARGV[a + 2], ARGV[a + 2])
  if #found == 1 then
    local head, body = found[1][2][2], found[1][2][4]
    local size = tonumber(string.match(head, '^%S+ (%d+)'))
    if dead then
      redis.call('XADD', KEYS[3], '*', 'i', ARGV[a + 3], 'd', ARGV[a + 1], 'r', ARGV[3], 'a', ARGV[4], 'h', head, 'b', body)
    end
    redis.call('XDEL', key, ARGV[a + 2])
    messages = messages + 1
    bytes = bytes + size
    if redis.call('XLEN', key) == 0 then
      redis.call('DEL', key)
      redis.call('HDEL', KEYS[1], ARGV[a + 1])
    else
      -- 0 - n: a negated 0 would be sent as "-0", which Redis does not take for an integer.
      redis.call('HINCRBY', KEYS[1], ARGV[a + 1], 0 - size)
    end
  end
end
local reply = string.format('%d %d', messages, bytes)
redis.call('SET', KEYS[2], reply, 'PX', ARGV[1])
return reply
`
}).withReturnType<string>()

/**
 * Messages, body bytes and the oldest `acceptedAt` (`nil` when empty) of one destination (ARGV[2] is
 * `one`, ARGV[3] its name) or of all. KEYS: destinations. ARGV[1]: the streams' key prefix. The
 * streams are found from the destinations hash, so their keys cannot be declared: one reason this
 * store needs a single Redis, not a cluster.
 */
export const depth = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
local messages, bytes, oldest = 0, 0, false
local function add(name, held)
  local key = ARGV[1] .. name
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  if #first == 1 then
    messages = messages + redis.call('XLEN', key)
    bytes = bytes + tonumber(held)
    local t = string.match(first[1][2][2], '^%S+')
    if not oldest or tonumber(t) < tonumber(oldest) then oldest = t end
  end
end
if ARGV[2] == 'one' then
  local held = redis.call('HGET', KEYS[1], ARGV[3])
  if held then add(ARGV[3], held) end
else
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do add(all[i], all[i + 1]) end
end
return { messages, bytes, oldest }
`
}).withReturnType<readonly [number, number, string | null]>()

/** Extends the lease (KEYS[1]) by ARGV[2] ms if ARGV[1] still holds it; replies 1 if it did. */
export const renew = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
}).withReturnType<number>()

/** Gives the lease (KEYS[1]) up if ARGV[1] holds it. */
export const release = Redis.script(keysThenArgs, {
  numberOfKeys: keyCount,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
}).withReturnType<number>()
