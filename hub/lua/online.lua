-- ARGV: instance, ttl in ms, ids as a JSON array ('' when none),
-- channel. Replaces the instance's record, drops lapsed ones, and tells
-- the room's instances when the instance's list changed.
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
if was ~= ARGV[3] then redis.call(publish, ARGV[4], 'resync') end
return 0
