-- ARGV: epoch, workshop JSON. Returns 0, or 1 when the id is in use.
if redis.call('EXISTS', ws) == 1 then return 1 end
redis.call('DEL', meta, log, ops, people, snap, online)
redis.call('SET', ws, ARGV[2])
redis.call('HSET', meta, 'epoch', ARGV[1], 'top', '0', 'first', '1', 'snapv', '0')
return 0
