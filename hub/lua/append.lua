-- ARGV: epoch candidate, op id, expected version, entry JSON after its
-- version, channel, the epoch the entry belongs to ('' for any), then the
-- instance's mark: epoch, version, op id (see rewound), then '1' when the
-- caller WAITs for replicas after the script.
-- Returns {result, version}; another epoch is a conflict; a rewound
-- history is {5, top}, with nothing appended.
if not ready(ARGV[1]) then return {3, 0} end
if rewound(ARGV[7], ARGV[8], ARGV[9], ARGV[1], ARGV[5]) then
  return {5, tonumber(redis.call('HGET', meta, 'top'))}
end
local old = redis.call('HGET', ops, ARGV[2])
if old then
  -- A write, so that the caller's WAIT covers the original append too.
  if ARGV[10] == '1' then redis.call('HSET', meta, 'top', redis.call('HGET', meta, 'top')) end
  return {1, tonumber(old)}
end
local top = tonumber(redis.call('HGET', meta, 'top'))
if top ~= tonumber(ARGV[3]) then return {2, top} end
if ARGV[6] ~= '' and redis.call('HGET', meta, 'epoch') ~= ARGV[6] then return {2, top} end
local v = string.format('%d', top + 1)
local entry = '{"v":' .. v .. ARGV[4]
redis.call('XADD', log, v .. '-0', 'e', entry)
redis.call('HSET', ops, ARGV[2], v)
local fresh = redis.call('EXISTS', opv) == 0 -- a room made before opv has none yet
redis.call('ZADD', opv, v, ARGV[2])
redis.call('HSET', meta, 'top', v, 'last', ARGV[2])
if top == 0 then keep(log, ops) end -- made by this append
if fresh then keep(opv) end
redis.call(publish, ARGV[5], entry)
return {0, top + 1}
