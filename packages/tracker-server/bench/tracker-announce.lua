-- wrk script: each request is an announce with a random peer_id/port and an info_hash chosen from
-- $HASHES (file of 40-hex lines; opentracker Debian build is whitelist-only) or random if unset.
-- usage: HASHES=hashes.txt wrk -t1 -c64 -d10s --latency -s tracker-announce.lua http://127.0.0.1:6969/announce
local hashes = {}
local f = os.getenv("HASHES") and io.open(os.getenv("HASHES"), "r")
if f then for l in f:lines() do if #l == 40 then hashes[#hashes + 1] = l:gsub("..", "%%%0") end end f:close() end
local path = "/announce"
function init(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
local function rnd20() local t = {} for i = 1, 20 do t[i] = string.format("%%%02x", math.random(0, 255)) end return table.concat(t) end
request = function()
  local ih = (#hashes > 0) and hashes[math.random(1, #hashes)] or rnd20()
  local left = (math.random() < 0.5) and 0 or 1048576
  return wrk.format("GET", wrk.path .. "?info_hash=" .. ih .. "&peer_id=" .. rnd20() .. "&port=" .. math.random(1024, 61024) ..
    "&uploaded=0&downloaded=0&left=" .. left .. "&compact=1&numwant=50&event=started")
end
response = function(status, headers, body)
  if status ~= 200 or body:find("failure reason", 1, true) then bad = (bad or 0) + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"seconds\":%.2f,\"rps\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"errors_connect\":%d,\"errors_read\":%d,\"errors_status\":%d,\"errors_timeout\":%d}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.status, summary.errors.timeout))
end
