-- ARGV: epoch candidate. Returns {result, top, epoch}.
if not ready(ARGV[1]) then return {3, 0, ''} end
local m = redis.call('HMGET', meta, 'top', 'epoch')
return {0, tonumber(m[1]), m[2]}
