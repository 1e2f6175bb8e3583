-- ARGV: participant id, participant JSON.
if redis.call('EXISTS', ws) == 0 then return 3 end
redis.call('HSET', people, ARGV[1], ARGV[2])
return 0
