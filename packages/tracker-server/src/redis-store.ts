import { bytesToIp } from '@p2p/peer-address'
import { Redis, type RedisOptions } from 'ioredis'
import { CompactResult, peerConflict } from './compact-result.js'
import { TrackerServerError } from './errors.js'
import { compact, DEFAULT_MAX_PEERS_PER_TORRENT, DEFAULT_PEER_TIMEOUT_MS } from './memory-store.js'
import type {
  PeerStore,
  ScrapeEntry,
  StoreAnnounce,
  StoreAnnounceResult,
  StoredPeer,
  StoreTotals,
  SwarmCounts,
} from './peer-store.js'

/** Default prefix of every Redis key the store writes. */
export const DEFAULT_REDIS_PREFIX = 'p2pt:'
/** Default time a Redis command may take before the request fails, ms. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000
/** Most announces sent to Redis in one script call. */
export const REDIS_ANNOUNCE_BATCH = 128
/** Most expired peers removed per torrent by one announce (the rest go on later announces). */
const EXPIRE_BATCH = 200

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://host:port/db` (default `redis://127.0.0.1:6379`). Ignored when `redis` is given. */
  url?: string
  /** An existing ioredis client to use (not closed by `close()`). */
  redis?: Redis
  /** Extra ioredis options for the client the store creates. */
  redisOptions?: RedisOptions
  /** Key prefix (default {@link DEFAULT_REDIS_PREFIX}); trackers sharing a swarm view share it. */
  prefix?: string
  /** Peers not heard from for this long are dropped, ms; torrent keys carry it as their TTL (default {@link DEFAULT_PEER_TIMEOUT_MS}). */
  peerTimeout?: number
  /** Most peers per torrent; the one seen longest ago is evicted (default {@link DEFAULT_MAX_PEERS_PER_TORRENT}). */
  maxPeersPerTorrent?: number
  /** Time a command may take, ms (default {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS}). */
  commandTimeout?: number
}

// Keys of one torrent: <prefix>t:<hex>:p (hash peer id -> record: role byte '1' seeder / '0' leecher, family
// byte '4' / '6', compact address, then the announce key if any),
// :s (zset of peer id + record -> last seen ms; the member changes with the record), :c (hash s = seeders,
// l = leechers, d = downloaded).
// <prefix>torrents is a zset of info hashes by last announce, for totals. Every torrent key has the peer
// timeout as its TTL, refreshed by each announce, so an abandoned torrent disappears on its own.
const COMMON = `
-- Members of the :s zset are the peer id (20 bytes) followed by the peer's record, so sampling peers
-- needs no second lookup.
local function expire(p, s, c, limit, batch)
  local old = redis.call('ZRANGEBYSCORE', s, '-inf', limit, 'LIMIT', 0, batch)
  for _, m in ipairs(old) do
    redis.call('HINCRBY', c, string.byte(m, 21) == 49 and 's' or 'l', -1)
    redis.call('HDEL', p, string.sub(m, 1, 20))
    redis.call('ZREM', s, m)
  end
end
`

const ANNOUNCE = `${COMMON}
local prefix, now, timeout, maxPeers = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function one(ih, pid, rec, event, numwant, fam)
local base = prefix .. 't:' .. ih
local p, s, c = base .. ':p', base .. ':s', base .. ':c'
expire(p, s, c, now - timeout, ${EXPIRE_BATCH})
local prev = redis.call('HGET', p, pid)
if prev then
  local pl = string.byte(prev, 2) == 54 and 16 or 4
  local nl = string.byte(rec, 2) == 54 and 16 or 4
  if string.sub(prev, 3, 2 + pl) ~= string.sub(rec, 3, 2 + nl) then
    -- The peer id moved to another IP: only its own key may move it.
    local pk = string.sub(prev, 5 + pl)
    if pk == '' or pk ~= string.sub(rec, 5 + nl) then return nil end
  elseif string.len(rec) == 4 + nl then
    rec = rec .. string.sub(prev, 5 + pl)
  end
end
local prevSeeder = prev and string.byte(prev, 1) == 49
local role = string.byte(rec, 1) == 49 and 's' or 'l'
-- A re-announce in the same role leaves the counters alone.
local moved = not prev or event == 'stopped' or (prevSeeder and 's' or 'l') ~= role
if prev and moved then redis.call('HINCRBY', c, prevSeeder and 's' or 'l', -1) end
if event == 'stopped' then
  if prev then
    redis.call('HDEL', p, pid)
    redis.call('ZREM', s, pid .. prev)
  end
else
  if event == 'completed' and not prevSeeder then redis.call('HINCRBY', c, 'd', 1) end
  if not prev and redis.call('HLEN', p) >= maxPeers then
    local oldest = redis.call('ZRANGE', s, 0, 0)[1]
    if oldest then
      redis.call('HINCRBY', c, string.byte(oldest, 21) == 49 and 's' or 'l', -1)
      redis.call('HDEL', p, string.sub(oldest, 1, 20))
      redis.call('ZREM', s, oldest)
    end
  end
  if prev ~= rec then
    if prev then redis.call('ZREM', s, pid .. prev) end
    redis.call('HSET', p, pid, rec)
  end
  redis.call('ZADD', s, now, pid .. rec)
  if moved then redis.call('HINCRBY', c, role, 1) end
  redis.call('ZADD', prefix .. 'torrents', now, ih)
end
redis.call('PEXPIRE', p, timeout)
redis.call('PEXPIRE', s, timeout)
redis.call('PEXPIRE', c, timeout)
local counts = redis.call('HMGET', c, 's', 'l', 'd')
-- Peers come back as four strings (compact IPv4 forms, IPv6 forms, then their ids, 20 bytes each) so
-- the reply stays a handful of bulk strings whatever numwant is.
local c4, c6, i4, i6 = {}, {}, {}, {}
if numwant > 0 then
  local n = 0
  for _, m in ipairs(redis.call('ZRANDMEMBER', s, numwant + 1)) do
    if n < numwant then
      local id = string.sub(m, 1, 20)
      if id ~= pid then
        local f = string.byte(m, 22)
        if f == 52 and fam ~= '6' then
          c4[#c4 + 1] = string.sub(m, 23, 28)
          i4[#i4 + 1] = id
          n = n + 1
        elseif f == 54 and fam ~= '4' then
          c6[#c6 + 1] = string.sub(m, 23, 40)
          i6[#i6 + 1] = id
          n = n + 1
        end
      end
    end
  end
end
return { counts[1] or '0', counts[2] or '0', counts[3] or '0',
  table.concat(c4), table.concat(c6), table.concat(i4), table.concat(i6) }
end
-- A batch of announces, 6 arguments each; 7 answers each ('conflict' and 6 empty strings for a refusal).
local out = {}
for i = 5, #ARGV, 6 do
  local r = one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4]), ARGV[i + 5])
  if not r then r = { 'conflict', '', '', '', '', '', '' } end
  for k = 1, 7 do out[#out + 1] = r[k] end
end
return out
`

const SCRAPE = `${COMMON}
local prefix, now, timeout = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV do
  local base = prefix .. 't:' .. ARGV[i]
  expire(base .. ':p', base .. ':s', base .. ':c', now - timeout, ${EXPIRE_BATCH})
  local c = redis.call('HMGET', base .. ':c', 's', 'l', 'd')
  out[#out + 1] = c[1] or '0'
  out[#out + 1] = c[2] or '0'
  out[#out + 1] = c[3] or '0'
end
return out
`

const FULL_SCRAPE = `${COMMON}
local prefix, now, timeout, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local index = prefix .. 'torrents'
redis.call('ZREMRANGEBYSCORE', index, '-inf', now - timeout)
local out = {}
for _, ih in ipairs(redis.call('ZREVRANGE', index, 0, limit - 1)) do
  local base = prefix .. 't:' .. ih
  expire(base .. ':p', base .. ':s', base .. ':c', now - timeout, ${EXPIRE_BATCH})
  local c = redis.call('HMGET', base .. ':c', 's', 'l', 'd')
  out[#out + 1] = ih
  out[#out + 1] = c[1] or '0'
  out[#out + 1] = c[2] or '0'
  out[#out + 1] = c[3] or '0'
end
return out
`

const TOTALS = `
local prefix, now, timeout = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local index = prefix .. 'torrents'
redis.call('ZREMRANGEBYSCORE', index, '-inf', now - timeout)
local seeders, leechers, torrents = 0, 0, 0
for _, ih in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  local base = prefix .. 't:' .. ih
  local live = redis.call('ZCOUNT', base .. ':s', now - timeout, '+inf')
  if live > 0 then
    torrents = torrents + 1
    local c = redis.call('HMGET', base .. ':c', 's', 'l')
    seeders = seeders + (tonumber(c[1]) or 0)
    leechers = leechers + (tonumber(c[2]) or 0)
  end
end
return { torrents, seeders, leechers }
`

type Scripts = Redis & {
  p2pTrackerAnnounceBuffer(...args: (string | Buffer | number)[]): Promise<Buffer[]>
  p2pTrackerScrape(...args: (string | number)[]): Promise<string[]>
  p2pTrackerFullScrape(...args: (string | number)[]): Promise<string[]>
  p2pTrackerTotals(...args: (string | number)[]): Promise<number[]>
}

/**
 * A {@link PeerStore} in Redis, so several tracker processes (on several cores or hosts) share one
 * swarm view. Each announce is one Lua script (atomic: counts stay exact); peers expire by their
 * last-seen score and whole torrents by Redis TTLs. Needs Redis >= 6.2 (`ZRANDMEMBER`).
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379' })
 * const server = createTrackerServer({ store })
 * ```
 */
export class RedisStore implements PeerStore {
  /** The ioredis client. */
  readonly redis: Redis
  private readonly scripts: Scripts
  private readonly ownsClient: boolean
  private readonly prefix: string
  private readonly peerTimeout: number
  private readonly maxPeers: number
  /** Announces waiting for the next script call. */
  private queue: {
    args: (string | Buffer | number)[]
    resolve: (r: StoreAnnounceResult) => void
    reject: (err: unknown) => void
  }[] = []
  /** A flush is scheduled. */
  private flushing = false

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX
    this.peerTimeout = Math.round(options.peerTimeout ?? DEFAULT_PEER_TIMEOUT_MS)
    this.maxPeers = options.maxPeersPerTorrent ?? DEFAULT_MAX_PEERS_PER_TORRENT
    if (!(this.peerTimeout > 0) || !(this.maxPeers > 0)) {
      throw new TrackerServerError(
        'TRACKER_SERVER_BAD_OPTION',
        'peerTimeout and maxPeersPerTorrent must be positive',
      )
    }
    this.ownsClient = options.redis === undefined
    this.redis =
      options.redis ??
      new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        commandTimeout: options.commandTimeout ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
        enableAutoPipelining: true,
        lazyConnect: false,
        ...options.redisOptions,
      })
    // ioredis reports connection trouble as 'error' events; requests fail on their own and are answered
    // with a failure reason, so the event must not crash the process.
    this.redis.on('error', () => {})
    this.redis.defineCommand('p2pTrackerAnnounce', { numberOfKeys: 0, lua: ANNOUNCE })
    this.redis.defineCommand('p2pTrackerScrape', { numberOfKeys: 0, lua: SCRAPE })
    this.redis.defineCommand('p2pTrackerFullScrape', { numberOfKeys: 0, lua: FULL_SCRAPE })
    this.redis.defineCommand('p2pTrackerTotals', { numberOfKeys: 0, lua: TOTALS })
    this.scripts = this.redis as Scripts
  }

  /**
   * Records an announce. Announces arriving in the same turn of the event loop go to Redis together, as
   * one script call (at most {@link REDIS_ANNOUNCE_BATCH}): one round trip and one script run for the lot,
   * each announce still applied atomically and in order.
   */
  announce(req: StoreAnnounce): Promise<StoreAnnounceResult> {
    const fam = req.families.length === 2 ? 'both' : String(req.families[0])
    const ip = compact(req.host, req.port)
    const key = req.key === undefined ? 0 : Buffer.byteLength(req.key, 'latin1')
    const record = Buffer.allocUnsafe(2 + ip.length + key)
    record[0] = req.seeder ? 0x31 : 0x30
    record[1] = ip.length === 6 ? 0x34 : 0x36
    record.set(ip, 2)
    if (key > 0) record.write(req.key!, 2 + ip.length, 'latin1')
    return new Promise((resolve, reject) => {
      this.queue.push({
        args: [req.infoHash, Buffer.from(req.peerId), record, req.event, req.numwant, fam],
        resolve,
        reject,
      })
      if (this.queue.length >= REDIS_ANNOUNCE_BATCH) this.flush()
      else if (!this.flushing) {
        this.flushing = true
        setImmediate(this.flushSoon)
      }
    })
  }

  private readonly flushSoon = () => {
    this.flushing = false
    this.flush()
  }

  /** Sends the queued announces as one script call and settles each from its slice of the answer. */
  private flush(): void {
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    const args: (string | Buffer | number)[] = [this.prefix, Date.now(), this.peerTimeout, this.maxPeers]
    for (const b of batch) args.push(...b.args)
    this.scripts.p2pTrackerAnnounceBuffer(...args).then(
      (out) => {
        for (const [i, b] of batch.entries()) {
          const [complete, incomplete, downloaded, c4, c6, ids4, ids6] = out.slice(7 * i, 7 * i + 7)
          if (complete === undefined || complete.toString() === 'conflict') {
            b.reject(
              complete === undefined
                ? new TrackerServerError(
                    'TRACKER_SERVER_STORE',
                    'short answer from the Redis announce script',
                  )
                : peerConflict(),
            )
          } else {
            b.resolve(
              new CompactResult(num(complete), num(incomplete), num(downloaded), c4!, c6!, () =>
                decodePeers(c4!, c6!, ids4!, ids6!),
              ),
            )
          }
        }
      },
      (err) => {
        for (const b of batch) b.reject(err)
      },
    )
  }

  async scrape(infoHashes: readonly string[]): Promise<SwarmCounts[]> {
    if (infoHashes.length === 0) return []
    const out = await this.scripts.p2pTrackerScrape(this.prefix, Date.now(), this.peerTimeout, ...infoHashes)
    return infoHashes.map((_, i) => ({
      complete: Math.max(0, Number(out[3 * i])),
      incomplete: Math.max(0, Number(out[3 * i + 1])),
      downloaded: Math.max(0, Number(out[3 * i + 2])),
    }))
  }

  /** Counts of the `limit` most recently announced torrents, for a full scrape (one Lua script). */
  async fullScrape(limit: number): Promise<ScrapeEntry[]> {
    const out = await this.scripts.p2pTrackerFullScrape(this.prefix, Date.now(), this.peerTimeout, limit)
    const entries: ScrapeEntry[] = []
    for (let i = 0; i + 3 < out.length; i += 4) {
      const c = {
        infoHash: String(out[i]),
        complete: Math.max(0, Number(out[i + 1])),
        incomplete: Math.max(0, Number(out[i + 2])),
        downloaded: Math.max(0, Number(out[i + 3])),
      }
      if (c.complete + c.incomplete + c.downloaded > 0) entries.push(c)
    }
    return entries
  }

  async totals(): Promise<StoreTotals> {
    const [torrents, seeders, leechers] = await this.scripts.p2pTrackerTotals(
      this.prefix,
      Date.now(),
      this.peerTimeout,
    )
    return { torrents: torrents ?? 0, seeders: seeders ?? 0, leechers: leechers ?? 0 }
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return
    try {
      await this.redis.quit()
    } catch {
      this.redis.disconnect()
    }
  }
}

/** The peers of a Redis announce answer: compact forms and peer ids as the script returned them. */
function decodePeers(compact4: Buffer, compact6: Buffer, ids4: Buffer, ids6: Buffer): StoredPeer[] {
  const list: StoredPeer[] = []
  for (const [compact, ids, size, family] of [
    [compact4, ids4, 6, 4],
    [compact6, ids6, 18, 6],
  ] as const) {
    for (let i = 0; i * size < compact.length; i++) {
      const c = compact.subarray(i * size, (i + 1) * size)
      list.push({
        peerId: ids.subarray(i * 20, (i + 1) * 20),
        host: bytesToIp(c.subarray(0, size - 2)),
        port: c.readUInt16BE(size - 2),
        family,
        compact: c,
      })
    }
  }
  return list
}

function num(b: Buffer | undefined): number {
  return b ? Math.max(0, Number(b.toString())) : 0
}
