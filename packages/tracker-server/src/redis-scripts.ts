/** Most expired peers removed per torrent by one script run (the rest go on later runs). */
const EXPIRE_BATCH = 200

// Keys of one torrent:
// - <prefix>t:<hex>:p, a hash: each peer id (20 bytes) -> record (role byte '1' seeder / '0' leecher,
//   family byte '4' / '6', compact address, then the announce key if any), plus field 'c' (one byte, so it
//   never meets a peer id): the torrent's seeders, leechers and downloads (i32 BE each), a time no peer
//   was last seen before (so expiry looks at the zset only once that is older than the timeout) and when
//   the keys' TTLs and the torrent's time in the torrents index were last refreshed (ms, doubles BE),
//   packed by struct so reading and writing it costs no number parsing or printing.
// - <prefix>t:<hex>:s, a zset of peer id + record without the key (28 bytes for IPv4, 40 for IPv6) ->
//   last seen ms, so sampling peers needs no second lookup.
// Both carry a TTL so an abandoned torrent disappears on its own: the peer timeout when the torrent is
// created, then timeout + slack, refreshed by the first announce after creation and then once per
// `slack` ms (or when the zset was empty, so a recreated zset gets one); so the keys outlive the last
// peer's timeout by at most `slack`. <prefix>torrents is a zset of info hashes by last announce,
// refreshed at the same times (readers keep entries `slack` past the timeout), for totals and full
// scrapes.
// A hash without 'c' was not written by these scripts (an older layout): an announce starts it afresh.
// Numbers go to redis.call as strings (ARGV, replies, string.format('%d')): Redis prints a Lua number
// argument with a floating-point printf, which costs more than the command.
// Library functions are looked up once per script run, not at each use.
const LOCALS = `
local call, sub, byte, pack, unpackStruct = redis.call, string.sub, string.byte, struct.pack, struct.unpack
local function int(n) return string.format('%d', n) end
`

const COMMON = `${LOCALS}
local C = '>i4i4i4dd'

-- Drops the peers last seen at or before limit, when o says there may be some. Returns the seeders,
-- leechers and o after it (the oldest score left, or now: ARGV[2] of every script), and whether pid
-- was among the dropped.
local function expire(p, s, limit, seeders, leechers, o, pid)
  if o > limit then return seeders, leechers, o, false end
  local gone = false
  local old = call('ZRANGEBYSCORE', s, '-inf', int(limit), 'LIMIT', '0', '${EXPIRE_BATCH}')
  if #old > 0 then
    local ids = {}
    for k, m in ipairs(old) do
      local id = sub(m, 1, 20)
      ids[k] = id
      if byte(m, 21) == 49 then seeders = seeders - 1 else leechers = leechers - 1 end
      if id == pid then gone = true end
    end
    call('HDEL', p, unpack(ids))
    call('ZREM', s, unpack(old))
  end
  local first = call('ZRANGE', s, '0', '0', 'WITHSCORES')[2]
  return seeders, leechers, tonumber(first or ARGV[2]), gone
end

-- Seeders, leechers and downloads of a torrent for a scrape, expiring what is due.
local function counts(prefix, ih, limit)
  local base = prefix .. 't:' .. ih
  local p, s = base .. ':p', base .. ':s'
  local c = call('HGET', p, 'c')
  if not c then return 0, 0, 0 end
  local seeders, leechers, downloads, o, i = unpackStruct(C, c)
  seeders, leechers, o = expire(p, s, limit, seeders, leechers, o, nil)
  local after = pack(C, seeders, leechers, downloads, o, i)
  if after ~= c then call('HSET', p, 'c', after) end
  return seeders, leechers, downloads
end
`

/**
 * One batch of announces. ARGV: prefix, now, timeout, max peers, slack, then the batch as one string:
 * per announce the hex info hash (40), peer id (20), event byte (0 none, 1 started, 2 completed,
 * 3 stopped), numwant (u32 BE), record length (u16 BE) and record. Answers one string: per announce a
 * status byte (0 ok, 1 refused: the peer id is at another IP without its key), seeders, leechers and
 * downloads (i32 BE each), the length of the sampled peers (u32 BE) and the sampled zset members back to
 * back (numwant + 1 of them, the announcing peer and any family included: the caller filters).
 */
export const ANNOUNCE = `${COMMON}
local prefix, nowS, timeoutS, maxPeers, slack = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]),
  tonumber(ARGV[5])
local now = tonumber(nowS)
local limit = now - tonumber(timeoutS)
local longTtl = int(tonumber(timeoutS) + slack)
-- Torrents gone quiet leave the index here too, once per batch, so it stays bounded even when nobody
-- asks for totals or a full scrape.
call('ZREMRANGEBYSCORE', prefix .. 'torrents', '-inf', int(limit - slack))

-- Applies one announce; returns its counts and sampled members, or nothing for a refusal.
local function one(ih, pid, ev, numwant, rec)
  local base = prefix .. 't:' .. ih
  local p, s = base .. ':p', base .. ':s'
  local f = call('HMGET', p, 'c', pid)
  local c, prev = f[1], f[2]
  local seeders, leechers, downloads, o, i = 0, 0, 0, now, 0
  if c then
    local gone
    seeders, leechers, downloads, o, i = unpackStruct(C, c)
    seeders, leechers, o, gone = expire(p, s, limit, seeders, leechers, o, pid)
    if gone then prev = false end
  else
    -- Not written by this script (a new torrent or an older layout): start afresh.
    call('DEL', p, s)
    prev = false
  end
  local nl = byte(rec, 2) == 54 and 16 or 4
  local pl, pm = 0, nil
  if prev then
    pl = byte(prev, 2) == 54 and 16 or 4
    pm = pid .. sub(prev, 1, 4 + pl)
    if sub(prev, 3, 2 + pl) ~= sub(rec, 3, 2 + nl) then
      -- The peer id moved to another IP: only its own key may move it.
      local pk = sub(prev, 5 + pl)
      if pk == '' or pk ~= sub(rec, 5 + nl) then
        local after = pack(C, seeders, leechers, downloads, o, i)
        if after ~= c then call('HSET', p, 'c', after) end
        return nil
      end
    elseif string.len(rec) == 4 + nl then
      rec = rec .. sub(prev, 5 + pl)
    end
  end
  local prevSeeder = prev and byte(prev, 1) == 49
  local seeder = byte(rec, 1) == 49
  -- A re-announce in the same role leaves the counters alone.
  local moved = not prev or ev == 3 or prevSeeder ~= seeder
  if prev and moved then
    if prevSeeder then seeders = seeders - 1 else leechers = leechers - 1 end
  end
  local write, ttl = false, nil
  if ev == 3 then
    if prev then
      call('HDEL', p, pid)
      call('ZREM', s, pm)
    end
  else
    if ev == 2 and not prevSeeder then downloads = downloads + 1 end
    if not prev and seeders + leechers >= maxPeers then
      local oldest = call('ZRANGE', s, '0', '0')[1]
      if oldest then
        if byte(oldest, 21) == 49 then seeders = seeders - 1 else leechers = leechers - 1 end
        call('HDEL', p, sub(oldest, 1, 20))
        call('ZREM', s, oldest)
      end
    end
    -- The zset is empty (so gone: the ZADD below recreates it) only for a new peer in an empty swarm.
    local empty = not prev and seeders + leechers <= 0
    local m = pid .. sub(rec, 1, 4 + nl)
    call('ZADD', s, nowS, m)
    if pm and pm ~= m then call('ZREM', s, pm) end
    if moved then
      if seeder then seeders = seeders + 1 else leechers = leechers + 1 end
    end
    if now < o then o = now end
    if not c then
      ttl, i = timeoutS, now - slack
    elseif empty or i <= now - slack then
      ttl, i = longTtl, now
    end
    if ttl then call('ZADD', prefix .. 'torrents', nowS, ih) end
    write = prev ~= rec
  end
  local after = (c or seeders + leechers + downloads > 0 or write) and pack(C, seeders, leechers, downloads, o, i)
  if write and after ~= c then
    call('HSET', p, 'c', after, pid, rec)
  elseif write then
    call('HSET', p, pid, rec)
  elseif after and after ~= c then
    call('HSET', p, 'c', after)
  end
  if ttl then
    call('PEXPIRE', p, ttl)
    call('PEXPIRE', s, ttl)
  end
  local sample = ''
  if numwant > 0 then sample = table.concat(call('ZRANDMEMBER', s, int(numwant + 1))) end
  return seeders, leechers, downloads, sample
end

local out, pos, batch = {}, 1, ARGV[6]
while pos <= #batch do
  local ih, pid, ev, numwant, rec
  ih, pid, ev, numwant, rec, pos = unpackStruct('>c40c20BI4I2c0', batch, pos)
  local seeders, leechers, downloads, sample = one(ih, pid, ev, numwant, rec)
  if seeders then
    out[#out + 1] = pack('>Bi4i4i4I4', 0, seeders, leechers, downloads, #sample)
    out[#out + 1] = sample
  else
    out[#out + 1] = pack('>Bi4i4i4I4', 1, 0, 0, 0, 0)
  end
end
return table.concat(out)
`

/** Counts of info hashes. ARGV: prefix, now, timeout, then hex info hashes; 3 counts each. */
export const SCRAPE = `${COMMON}
local prefix, now, timeout = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for k = 4, #ARGV do
  local seeders, leechers, downloads = counts(prefix, ARGV[k], now - timeout)
  out[#out + 1] = seeders
  out[#out + 1] = leechers
  out[#out + 1] = downloads
end
return out
`

/**
 * Counts of the `limit` most recently announced torrents. ARGV: prefix, now, timeout, limit, slack;
 * info hash and 3 counts each.
 */
export const FULL_SCRAPE = `${COMMON}
local prefix, now, timeout, limit, slack = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5])
local index = prefix .. 'torrents'
call('ZREMRANGEBYSCORE', index, '-inf', int(now - timeout - slack))
local out = {}
for _, ih in ipairs(call('ZREVRANGE', index, '0', int(limit - 1))) do
  local seeders, leechers, downloads = counts(prefix, ih, now - timeout)
  out[#out + 1] = ih
  out[#out + 1] = seeders
  out[#out + 1] = leechers
  out[#out + 1] = downloads
end
return out
`

/** Torrents with live peers, seeders and leechers. ARGV: prefix, now, timeout, slack. */
export const TOTALS = `${LOCALS}
local prefix, now, timeout, slack = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local index = prefix .. 'torrents'
call('ZREMRANGEBYSCORE', index, '-inf', int(now - timeout - slack))
local live = int(now - timeout)
local seeders, leechers, torrents = 0, 0, 0
for _, ih in ipairs(call('ZRANGE', index, '0', '-1')) do
  local base = prefix .. 't:' .. ih
  if call('ZCOUNT', base .. ':s', live, '+inf') > 0 then
    local c = call('HGET', base .. ':p', 'c')
    if c then
      local s, l = unpackStruct('>i4i4', c)
      torrents = torrents + 1
      seeders = seeders + math.max(0, s)
      leechers = leechers + math.max(0, l)
    end
  end
end
return { torrents, seeders, leechers }
`
