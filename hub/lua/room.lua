-- Opens every room script: names the room's keys (in the order of
-- redisKeys) and defines ready, which is false when the workshop is gone
-- and otherwise makes sure the room has a whole history. A room that lost
-- part of it (Redis restarted without persistence, or evicted keys) starts
-- a new history: a new epoch at version 0, with what is left of the old one
-- deleted, so that no instance mixes the two. While the top version is
-- above 0 the log and op ids exist (a trim keeps the newest entries), and
-- while snapv is above 0 the snapshot does. opv, the versions of the op ids
-- kept, is not checked: rooms made before it have none. publish, set
-- before this file, is PUBLISH, or SPUBLISH on a cluster (see redisScripts).
local ws, meta, log, ops, people, snap, online, opv = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
-- keep gives keys the workshop's own expiry as a script makes them, so
-- that every key of a room expires with it even if no touch follows (the
-- instance that wrote it was killed); touch.lua renews them all.
local function keep(...)
  local ttl = redis.call('PTTL', ws)
  if ttl > 0 then
    for _, k in ipairs({...}) do redis.call('PEXPIRE', k, ttl) end
  end
end
local function ready(epoch)
  if redis.call('EXISTS', ws) == 0 then return false end
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'snapv')
  local top, snapv = tonumber(m[2] or '0'), tonumber(m[3] or '0')
  if not m[1] or (top > 0 and redis.call('EXISTS', log, ops) < 2)
      or (snapv > 0 and redis.call('EXISTS', snap) == 0) then
    redis.call('DEL', meta, log, ops, snap, opv)
    redis.call('HSET', meta, 'epoch', epoch, 'top', '0', 'first', '1', 'snapv', '0')
    keep(meta)
  end
  return true
end
-- rewound is true when the history an instance saw, up to version v whose
-- op was id, in epoch, is not wholly the room's: Redis came back from an
-- older snapshot or append-only file, or a replica that missed writes took
-- over, and ops the instance saw acknowledged are gone. The room keeps what
-- is left (a whole start of that history) under the new epoch fresh, so
-- that no one resumes across the two histories, and its subscribers are
-- told to resync. A mark of another epoch is left alone: that epoch ended.
-- A mark older than the op ids kept (opsfrom) is checked by version alone.
local function rewound(epoch, v, id, fresh, channel)
  v = tonumber(v)
  if epoch == '' or v == 0 then return false end
  local m = redis.call('HMGET', meta, 'epoch', 'top', 'opsfrom')
  if m[1] ~= epoch then return false end
  if tonumber(m[2]) >= v and (id == '' or v < tonumber(m[3] or '0')
      or tonumber(redis.call('HGET', ops, id) or '-1') == v) then
    return false
  end
  redis.call('HSET', meta, 'epoch', fresh)
  redis.call(publish, channel, 'resync')
  return true
end
