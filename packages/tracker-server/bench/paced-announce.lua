-- wrk script: the shared announce script ($ANNOUNCE_LUA, tracker-announce.lua) paced: every connection waits
-- $PACE_MS between its requests, so the load is a fixed rate (connections * 1000 / PACE_MS announces/s) and the
-- latency figures are those of a tracker that is not saturated.
dofile(os.getenv("ANNOUNCE_LUA"))
local pace = tonumber(os.getenv("PACE_MS") or "0")
function delay() return pace end
