-- ARGV: channel. Deletes the room and tells its subscribers.
redis.call('DEL', ws, meta, log, ops, people, snap, online, opv)
redis.call(publish, ARGV[1], 'resync')
return 0
