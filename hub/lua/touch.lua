-- ARGV: milliseconds. Makes every key of the room expire then;
-- presence keeps its own, shorter, expiry.
if redis.call('EXISTS', ws) == 0 then return 3 end
for _, k in ipairs({ws, meta, log, ops, people, snap, opv}) do redis.call('PEXPIRE', k, ARGV[1]) end
return 0
