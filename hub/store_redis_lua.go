package hub

import (
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis key layout. Every key of one workshop carries the workshop id as
// its hash tag, so a Redis Cluster keeps them in one slot and each Lua
// script below, which touches only one room's keys, is Cluster-safe:
//
//	wb:{<id>}:ws      string  the Workshop, JSON; the workshop exists while
//	                          this key does
//	wb:{<id>}:meta    hash    top (version), epoch, first (oldest version
//	                          still in the log), snapv (snapshot's version)
//	wb:{<id>}:log     stream  one entry per version, stream id "<v>-0",
//	                          field "e": the Entry, JSON, with its version
//	wb:{<id>}:ops     hash    op id -> version; never trimmed
//	wb:{<id>}:people  hash    participant id -> Participant, JSON
//	wb:{<id>}:snap    string  the newest snapshot's board
//	wb:{<id>}:online  hash    instance -> "<expiry, Redis ms> <ids JSON>":
//	                          who is online there; the key expires when
//	                          the last record does
//	wb:code:<CODE>    string  join code -> workshop id (outside the tag: a
//	                          code is claimed with SET NX, on its own)
//
// Appended entries are published on the channel wb:{<id>}:ch.
func redisKeys(id string) []string {
	// Every store call names them: one string holds all seven, and each
	// key is a piece of it, which allocates two things per call, not nine.
	const head, tail = "wb:{", "}:"
	size := 0
	for _, name := range redisKeyNames {
		size += len(head) + len(id) + len(tail) + len(name)
	}
	var b strings.Builder
	b.Grow(size)
	keys := make([]string, 0, len(redisKeyNames))
	for _, name := range redisKeyNames {
		start := b.Len()
		b.WriteString(head)
		b.WriteString(id)
		b.WriteString(tail)
		b.WriteString(name)
		keys = append(keys, b.String()[start:])
	}
	return keys
}

// redisKeyNames end the keys of redisKeys, in order.
var redisKeyNames = [...]string{"ws", "meta", "log", "ops", "people", "snap", "online"}

// Indexes into redisKeys, in the order every room script receives them.
const (
	kWS = iota
	kMeta
	kLog
	kOps
	kPeople
	kSnap
	kOnline
)

func redisChannel(id string) string { return "wb:{" + id + "}:ch" }

func redisCodeKey(code string) string { return "wb:code:" + code }

// redisTimeout bounds the store's own calls that no caller's context
// bounds.
const redisTimeout = 5 * time.Second

// resyncNews is published on a room's channel for news that is not an
// entry (the workshop was deleted, who is online changed): subscribers
// resync, checking the store.
const resyncNews = "resync"

// luaRoom opens every room script: it names the keys and defines ready,
// which is false when the workshop is gone and otherwise makes sure the room
// has a whole history. A room that lost part of it (Redis restarted without
// persistence, or evicted keys) starts a new history: a new epoch at version
// 0, with what is left of the old one deleted, so that no instance mixes the
// two. While the top version is above 0 the log and op ids exist (a trim
// keeps the newest entries), and while snapv is above 0 the snapshot does.
const luaRoom = `
local ws, meta, log, ops, people, snap, online = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local function ready(epoch)
  if redis.call('EXISTS', ws) == 0 then return false end
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'snapv')
  local top, snapv = tonumber(m[2] or '0'), tonumber(m[3] or '0')
  if not m[1] or (top > 0 and redis.call('EXISTS', log, ops) < 2)
      or (snapv > 0 and redis.call('EXISTS', snap) == 0) then
    redis.call('DEL', meta, log, ops, snap)
    redis.call('HSET', meta, 'epoch', epoch, 'top', '0', 'first', '1', 'snapv', '0')
  end
  return true
end
`

// Results of the room scripts, as the numbers they return.
const (
	luaOK        = 0
	luaDuplicate = 1 // the op id was accepted before
	luaConflict  = 2 // the top version is not the expected one
	luaNotFound  = 3 // the workshop is gone
	luaIgnored   = 4 // the snapshot is ahead of the log
)

var (
	// ARGV: epoch, workshop JSON. Returns 0, or 1 when the id is in use.
	scriptCreate = redis.NewScript(luaRoom + `
if redis.call('EXISTS', ws) == 1 then return 1 end
redis.call('DEL', meta, log, ops, people, snap, online)
redis.call('SET', ws, ARGV[2])
redis.call('HSET', meta, 'epoch', ARGV[1], 'top', '0', 'first', '1', 'snapv', '0')
return 0
`)

	// ARGV: milliseconds. Makes every key of the room expire then;
	// presence keeps its own, shorter, expiry.
	scriptTouch = redis.NewScript(luaRoom + `
if redis.call('EXISTS', ws) == 0 then return 3 end
for _, k in ipairs({ws, meta, log, ops, people, snap}) do redis.call('PEXPIRE', k, ARGV[1]) end
return 0
`)

	// ARGV: channel. Deletes the room and tells its subscribers.
	scriptDelete = redis.NewScript(luaRoom + `
redis.call('DEL', ws, meta, log, ops, people, snap, online)
redis.call('PUBLISH', ARGV[1], '` + resyncNews + `')
return 0
`)

	// ARGV: epoch candidate, op id, expected version, entry JSON after its
	// version, channel, the epoch the entry belongs to ('' for any).
	// Returns {result, version}; another epoch is a conflict.
	scriptAppend = redis.NewScript(luaRoom + `
if not ready(ARGV[1]) then return {3, 0} end
local old = redis.call('HGET', ops, ARGV[2])
if old then return {1, tonumber(old)} end
local top = tonumber(redis.call('HGET', meta, 'top'))
if top ~= tonumber(ARGV[3]) then return {2, top} end
if ARGV[6] ~= '' and redis.call('HGET', meta, 'epoch') ~= ARGV[6] then return {2, top} end
local v = string.format('%d', top + 1)
local entry = '{"v":' .. v .. ARGV[4]
redis.call('XADD', log, v .. '-0', 'e', entry)
redis.call('HSET', ops, ARGV[2], v)
redis.call('HSET', meta, 'top', v)
redis.call('PUBLISH', ARGV[5], entry)
return {0, top + 1}
`)

	// ARGV: epoch candidate. Returns {result, top, epoch}.
	scriptHead = redis.NewScript(luaRoom + `
if not ready(ARGV[1]) then return {3, 0, ''} end
local m = redis.call('HMGET', meta, 'top', 'epoch')
return {0, tonumber(m[1]), m[2]}
`)

	// ARGV: version, board, entries to keep. Stores the snapshot unless a
	// newer one is there, then trims the log before it.
	scriptSnapshot = redis.NewScript(luaRoom + `
if redis.call('EXISTS', ws) == 0 then return {3, 0} end
local m = redis.call('HMGET', meta, 'epoch', 'top', 'first', 'snapv')
local v = tonumber(ARGV[1])
if not m[1] or v > tonumber(m[2]) then return {4, tonumber(m[2] or '0')} end
if v <= tonumber(m[4]) then return {0, 0} end
redis.call('SET', snap, ARGV[2])
redis.call('HSET', meta, 'snapv', ARGV[1])
local keep = v - tonumber(ARGV[3]) + 1
if keep > tonumber(m[3]) then
  local from = string.format('%d', keep)
  redis.call('XTRIM', log, 'MINID', from .. '-0')
  redis.call('HSET', meta, 'first', from)
end
return {0, 0}
`)

	// ARGV: participant id, participant JSON.
	scriptPerson = redis.NewScript(luaRoom + `
if redis.call('EXISTS', ws) == 0 then return 3 end
redis.call('HSET', people, ARGV[1], ARGV[2])
return 0
`)

	// ARGV: instance, ttl in ms, ids as a JSON array ('' when none),
	// channel. Replaces the instance's record, drops lapsed ones, and tells
	// the room's instances when the instance's list changed.
	scriptOnline = redis.NewScript(luaRoom + `
if redis.call('EXISTS', ws) == 0 then return 3 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local was = ''
local all = redis.call('HGETALL', online)
for i = 1, #all, 2 do
  local exp, ids = string.match(all[i + 1], '^(%d+) (.*)$')
  if not exp or tonumber(exp) <= now then
    redis.call('HDEL', online, all[i])
  elseif all[i] == ARGV[1] then
    was = ids
  end
end
if ARGV[3] == '' then
  redis.call('HDEL', online, ARGV[1])
else
  local ttl = tonumber(ARGV[2])
  redis.call('HSET', online, ARGV[1], string.format('%d', now + ttl) .. ' ' .. ARGV[3])
  if redis.call('PTTL', online) < ttl then redis.call('PEXPIRE', online, ttl) end
end
if was ~= ARGV[3] then redis.call('PUBLISH', ARGV[4], '` + resyncNews + `') end
return 0
`)

	// KEYS: a code key; ARGV: workshop id. Frees the code if it is the
	// workshop's.
	scriptFreeCode = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)
)
