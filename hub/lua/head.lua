-- ARGV: epoch candidate, then the instance's mark: epoch, version, op id
-- (see rewound), then the channel. Returns {result, top, epoch, op id at
-- top ('' at 0), 1 if rewound else 0}.
if not ready(ARGV[1]) then return {3, 0, '', '', 0} end
local r = rewound(ARGV[2], ARGV[3], ARGV[4], ARGV[1], ARGV[5])
local m = redis.call('HMGET', meta, 'top', 'epoch', 'last')
return {0, tonumber(m[1]), m[2], m[3] or '', r and 1 or 0}
