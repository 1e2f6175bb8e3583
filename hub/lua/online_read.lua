-- Returns Redis's time in ms and the room's presence records, as HGETALL
-- lists them. A script, so that the time is that of the node holding the
-- records, which online.lua wrote by its clock (a cluster's nodes may
-- disagree, and a transaction sends TIME to any of them).
local t = redis.call('TIME')
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), redis.call('HGETALL', online)}
