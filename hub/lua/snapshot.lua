-- ARGV: version, board, entries to keep, the id of the op at that version
-- ('' when unknown), versions to keep the op ids of. Stores the snapshot
-- unless a newer one is there, then trims the log and the op ids before
-- it. A snapshot ahead of the log is {4, top}; one whose op at its version
-- is not the log's (made from another history) is {5, top}.
if redis.call('EXISTS', ws) == 0 then return {3, 0} end
local m = redis.call('HMGET', meta, 'epoch', 'top', 'first', 'snapv', 'opsfrom')
local v = tonumber(ARGV[1])
if not m[1] or v > tonumber(m[2]) then return {4, tonumber(m[2] or '0')} end
if ARGV[4] ~= '' and v >= tonumber(m[5] or '0')
    and tonumber(redis.call('HGET', ops, ARGV[4]) or '-1') ~= v then
  return {5, tonumber(m[2])}
end
if v <= tonumber(m[4]) then return {0, 0} end
redis.call('SET', snap, ARGV[2])
keep(snap)
redis.call('HSET', meta, 'snapv', ARGV[1])
local keep = v - tonumber(ARGV[3]) + 1
if keep > tonumber(m[3]) then
  local from = string.format('%d', keep)
  redis.call('XTRIM', log, 'MINID', from .. '-0')
  redis.call('HSET', meta, 'first', from)
end
-- The op ids of versions below opsfrom go, a few thousand at a time (the
-- most a Lua call takes at once); a room made before opv keeps its old ones.
local opsfrom = v - tonumber(ARGV[5])
if opsfrom > tonumber(m[5] or '0') then
  local bound = '(' .. string.format('%d', opsfrom)
  local ids = redis.call('ZRANGEBYSCORE', opv, '-inf', bound)
  for i = 1, #ids, 4000 do
    redis.call('HDEL', ops, unpack(ids, i, math.min(i + 3999, #ids)))
  end
  redis.call('ZREMRANGEBYSCORE', opv, '-inf', bound)
  redis.call('HSET', meta, 'opsfrom', string.format('%d', opsfrom))
end
return {0, 0}
