-- KEYS: a code key; ARGV: workshop id. Frees the code if it is the
-- workshop's.
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
