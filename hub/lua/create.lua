-- ARGV: epoch, workshop JSON, retention in ms. Returns 0, or 1 when the
-- id is in use. The workshop expires after its retention unless touched.
if redis.call('EXISTS', ws) == 1 then return 1 end
redis.call('DEL', meta, log, ops, people, snap, online, opv)
redis.call('SET', ws, ARGV[2], 'PX', ARGV[3])
redis.call('HSET', meta, 'epoch', ARGV[1], 'top', '0', 'first', '1', 'snapv', '0')
keep(meta)
return 0
