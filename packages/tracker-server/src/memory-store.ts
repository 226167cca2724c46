import { bytesToIp, ipToBytes } from '@p2p/peer-address'
import { CompactResult, peerConflict } from './compact-result.js'
import { TrackerServerError } from './errors.js'
import type {
  PeerStore,
  ScrapeEntry,
  StoreAnnounce,
  StoreAnnounceResult,
  StoredPeer,
  StoreTotals,
  SwarmCounts,
} from './peer-store.js'

/** Default time after its last announce before a peer is dropped, ms (about 2 announce intervals). */
export const DEFAULT_PEER_TIMEOUT_MS = 31 * 60_000
/** Default bound on peers kept per torrent; the peer seen longest ago is evicted. */
export const DEFAULT_MAX_PEERS_PER_TORRENT = 10_000
/** Default bound on torrents kept; the torrent announced longest ago is evicted. */
export const DEFAULT_MAX_TORRENTS = 100_000
/** Default period of the expiry sweep, ms. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Peers not heard from for this long are dropped, ms (default {@link DEFAULT_PEER_TIMEOUT_MS}). */
  peerTimeout?: number
  /** Most peers per torrent (default {@link DEFAULT_MAX_PEERS_PER_TORRENT}); the oldest is evicted. */
  maxPeersPerTorrent?: number
  /** Most torrents (default {@link DEFAULT_MAX_TORRENTS}); the least recently announced is evicted. */
  maxTorrents?: number
  /** Period of the expiry sweep, ms (default {@link DEFAULT_SWEEP_INTERVAL_MS}); 0 disables the timer. */
  sweepInterval?: number
  /** Clock, for tests (default `Date.now`). */
  now?: () => number
}

/** A stored peer, kept small: ids and addresses as one-byte strings, materialised only when handed out. */
interface Peer {
  /** Peer id, latin1. */
  key: string
  /** Compact address (IP bytes + port), latin1: 6 chars for IPv4, 18 for IPv6. */
  addr: string
  seeder: boolean
  lastSeen: number
  /** The announce `key` it was recorded with (lets it move to another IP). */
  pk: string | undefined
  /** Index in the swarm's `list` (for O(1) random picks and removal). */
  slot: number
}

class Swarm {
  /** By peer id (latin1), in least-recently-seen order. */
  readonly byId = new Map<string, Peer>()
  /** The same peers, for random sampling. */
  readonly list: Peer[] = []
  seeders = 0
  downloaded = 0
  /** Announced since the eviction clock last passed (second-chance eviction of torrents). */
  touched = true

  remove(peer: Peer): void {
    this.byId.delete(peer.key)
    const last = this.list.pop()!
    if (last !== peer) {
      this.list[peer.slot] = last
      last.slot = peer.slot
    }
    if (peer.seeder) this.seeders--
  }

  counts(): SwarmCounts {
    return {
      complete: this.seeders,
      incomplete: this.byId.size - this.seeders,
      downloaded: this.downloaded,
    }
  }
}

/**
 * The default in-process {@link PeerStore}: peers expire after `peerTimeout`, memory is bounded by
 * `maxPeersPerTorrent` and `maxTorrents` (oldest evicted first). Answers synchronously.
 *
 * @example
 * ```ts
 * const server = createTrackerServer({ store: new MemoryStore({ peerTimeout: 10 * 60_000 }) })
 * ```
 */
export class MemoryStore implements PeerStore {
  private readonly swarms = new Map<string, Swarm>()
  private readonly peerTimeout: number
  private readonly maxPeers: number
  private readonly maxTorrents: number
  private readonly now: () => number
  private readonly timer: NodeJS.Timeout | undefined
  private peerCount = 0
  private seederCount = 0

  constructor(options: MemoryStoreOptions = {}) {
    this.peerTimeout = positive(options.peerTimeout, DEFAULT_PEER_TIMEOUT_MS, 'peerTimeout')
    this.maxPeers = positive(options.maxPeersPerTorrent, DEFAULT_MAX_PEERS_PER_TORRENT, 'maxPeersPerTorrent')
    this.maxTorrents = positive(options.maxTorrents, DEFAULT_MAX_TORRENTS, 'maxTorrents')
    this.now = options.now ?? Date.now
    const sweep = options.sweepInterval ?? DEFAULT_SWEEP_INTERVAL_MS
    if (sweep > 0) {
      this.timer = setInterval(() => this.sweep(), sweep)
      this.timer.unref()
    }
  }

  announce(req: StoreAnnounce): StoreAnnounceResult {
    const now = this.now()
    let swarm = this.swarms.get(req.infoHash)
    if (swarm) {
      swarm.touched = true
      this.expire(swarm, now)
    } else if (req.event !== 'stopped') {
      if (this.swarms.size >= this.maxTorrents) this.evictTorrent()
      swarm = new Swarm()
      this.swarms.set(req.infoHash, swarm)
    } else {
      return { complete: 0, incomplete: 0, downloaded: 0, peers: [] }
    }
    const key = latin1(req.peerId)
    const known = swarm.byId.get(key)
    const addr = compactText(req.host, req.port)
    if (known && known.addr !== addr && !sameIp(known.addr, addr)) {
      // The peer id moved to another IP: only its own key may move it.
      if (known.pk === undefined || known.pk !== req.key) {
        throw peerConflict()
      }
    }
    if (req.event === 'stopped') {
      if (known) this.drop(swarm, known)
      const counts = swarm.counts()
      if (swarm.byId.size === 0 && swarm.downloaded === 0) this.swarms.delete(req.infoHash)
      return { ...counts, peers: [] }
    }
    if (req.event === 'completed' && !known?.seeder) swarm.downloaded++
    if (known) {
      if (known.seeder !== req.seeder) {
        const d = req.seeder ? 1 : -1
        swarm.seeders += d
        this.seederCount += d
        known.seeder = req.seeder
      }
      if (known.addr !== addr) known.addr = addr
      if (req.key !== undefined) known.pk = req.key
      known.lastSeen = now
      swarm.byId.delete(key)
      swarm.byId.set(key, known)
    } else {
      if (swarm.byId.size >= this.maxPeers) this.drop(swarm, swarm.byId.values().next().value!)
      const peer: Peer = {
        key,
        addr,
        seeder: req.seeder,
        lastSeen: now,
        pk: req.key,
        slot: swarm.list.length,
      }
      swarm.byId.set(key, peer)
      swarm.list.push(peer)
      this.peerCount++
      if (req.seeder) {
        swarm.seeders++
        this.seederCount++
      }
    }
    return pick(swarm, key, req)
  }

  scrape(infoHashes: readonly string[]): SwarmCounts[] {
    const now = this.now()
    return infoHashes.map((h) => {
      const swarm = this.swarms.get(h)
      if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 }
      this.expire(swarm, now)
      return swarm.counts()
    })
  }

  /** Counts of up to `limit` torrents (those with live peers or downloads), for a full scrape. */
  fullScrape(limit: number): ScrapeEntry[] {
    const now = this.now()
    const out: ScrapeEntry[] = []
    for (const [infoHash, swarm] of this.swarms) {
      if (out.length >= limit) break
      this.expire(swarm, now)
      if (swarm.byId.size === 0 && swarm.downloaded === 0) continue
      out.push({ infoHash, ...swarm.counts() })
    }
    return out
  }

  totals(): StoreTotals {
    return {
      torrents: this.swarms.size,
      seeders: this.seederCount,
      leechers: this.peerCount - this.seederCount,
    }
  }

  /** Drops every expired peer and empty torrent now (the timer calls it every `sweepInterval`). */
  sweep(): void {
    const now = this.now()
    for (const [hash, swarm] of this.swarms) {
      this.expire(swarm, now)
      if (swarm.byId.size === 0 && swarm.downloaded === 0) this.swarms.delete(hash)
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.swarms.clear()
    this.peerCount = 0
    this.seederCount = 0
  }

  private expire(swarm: Swarm, now: number): void {
    const limit = now - this.peerTimeout
    for (const peer of swarm.byId.values()) {
      if (peer.lastSeen > limit) break
      this.drop(swarm, peer)
    }
  }

  private drop(swarm: Swarm, peer: Peer): void {
    swarm.remove(peer)
    this.peerCount--
    if (peer.seeder) this.seederCount--
  }

  /**
   * Evicts one torrent, least recently announced first (second chance: a torrent announced since the
   * clock last passed it goes to the back once instead of being evicted).
   */
  private evictTorrent(): void {
    let [hash, swarm] = this.swarms.entries().next().value!
    for (let i = 0; swarm.touched && i < this.swarms.size; i++) {
      swarm.touched = false
      this.swarms.delete(hash)
      this.swarms.set(hash, swarm)
      ;[hash, swarm] = this.swarms.entries().next().value!
    }
    this.peerCount -= swarm.byId.size
    this.seederCount -= swarm.seeders
    this.swarms.delete(hash)
  }
}

/** Empty compact lists, shared. */
const NONE = Buffer.alloc(0)

/** Scratch list of picked peers (the store is synchronous, so one is enough). */
const scratch: Peer[] = []

/**
 * Up to `numwant` peers of the wanted families other than the requester, from a random starting
 * point (seeders get leechers only when there are enough of them), as compact bytes.
 */
function pick(swarm: Swarm, self: string, req: StoreAnnounce): CompactResult {
  const list = swarm.list
  const n = list.length
  const want = Math.min(req.numwant, n - 1)
  const complete = swarm.seeders
  const incomplete = swarm.byId.size - swarm.seeders
  if (want <= 0) return new CompactResult(complete, incomplete, swarm.downloaded, NONE, NONE, () => [])
  const v4 = req.families.includes(4)
  const v6 = req.families.includes(6)
  const skipSeeders = req.seeder && n - swarm.seeders >= want
  let n4 = 0
  let n6 = 0
  let i = (Math.random() * n) | 0
  for (let seen = 0; seen < n && n4 + n6 < want; seen++, i = i + 1 === n ? 0 : i + 1) {
    const p = list[i]!
    if (p.key === self || (skipSeeders && p.seeder)) continue
    if (p.addr.length === 6) {
      if (!v4) continue
      n4++
    } else {
      if (!v6) continue
      n6++
    }
    scratch.push(p)
  }
  const c4 = n4 === 0 ? NONE : Buffer.allocUnsafe(n4 * 6)
  const c6 = n6 === 0 ? NONE : Buffer.allocUnsafe(n6 * 18)
  let a4 = 0
  let a6 = 0
  for (const p of scratch) {
    const addr = p.addr
    if (addr.length === 6) {
      for (let k = 0; k < 6; k++) c4[a4++] = addr.charCodeAt(k)
    } else {
      for (let k = 0; k < 18; k++) c6[a6++] = addr.charCodeAt(k)
    }
  }
  const picked = scratch.slice()
  scratch.length = 0
  return new CompactResult(complete, incomplete, swarm.downloaded, c4, c6, () => picked.map(materialise))
}

function materialise(p: Peer): StoredPeer {
  const compact = Buffer.from(p.addr, 'latin1')
  const n = compact.length
  return {
    peerId: Buffer.from(p.key, 'latin1'),
    host: bytesToIp(compact.subarray(0, n - 2)),
    port: (compact[n - 2]! << 8) | compact[n - 1]!,
    family: n === 6 ? 4 : 6,
    compact,
  }
}

/** IP bytes as latin1 strings, by IP text (the same peers announce again and again). */
let ipTexts = new Map<string, string>()

/** The compact form as a latin1 string (what the store keeps). */
function compactText(host: string, port: number): string {
  let ip = ipTexts.get(host)
  if (ip === undefined) {
    const b = ipToBytes(host)
    ip = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
    if (ipTexts.size >= 16_384) ipTexts = new Map()
    ipTexts.set(host, ip)
  }
  return ip + String.fromCharCode(port >> 8, port & 0xff)
}

/** Whether two compact addresses (latin1) have the same IP, ports aside. */
function sameIp(a: string, b: string): boolean {
  return a.length === b.length && a.startsWith(b.slice(0, -2))
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** The compact form of an address: IP bytes then the port, big-endian. */
export function compact(host: string, port: number): Uint8Array {
  const ip = ipToBytes(host)
  const out = new Uint8Array(ip.length + 2)
  out.set(ip)
  out[ip.length] = port >> 8
  out[ip.length + 1] = port & 0xff
  return out
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) {
    throw new TrackerServerError(
      'TRACKER_SERVER_BAD_OPTION',
      `${name} must be a positive number, got ${value}`,
    )
  }
  return value
}
