-- ARGV: version, board, entries to keep, the id of the op at that version
-- ('' when unknown). Stores the snapshot unless a newer one is there, then
-- trims the log before it. A snapshot ahead of the log is {4, top}; one
-- whose op at its version is not the log's (made from another history) is
-- {5, top}.
if redis.call('EXISTS', ws) == 0 then return {3, 0} end
local m = redis.call('HMGET', meta, 'epoch', 'top', 'first', 'snapv')
local v = tonumber(ARGV[1])
if not m[1] or v > tonumber(m[2]) then return {4, tonumber(m[2] or '0')} end
if ARGV[4] ~= '' and tonumber(redis.call('HGET', ops, ARGV[4]) or '-1') ~= v then return {5, tonumber(m[2])} end
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
return {0, 0}
