-- ARGV: participant id, participant JSON.
if redis.call('EXISTS', ws) == 0 then return 3 end
local new = redis.call('EXISTS', people) == 0
redis.call('HSET', people, ARGV[1], ARGV[2])
if new then keep(people) end
return 0
