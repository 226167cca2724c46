import { ipToBytes } from '@p2p/peer-address'
import { peerConflict } from './compact-result.js'
import { TrackerServerError } from './errors.js'
import type {
  PeerStore,
  ScrapeEntry,
  StoreAnnounce,
  StoreAnnounceResult,
  StoreTotals,
  SwarmCounts,
} from './peer-store.js'
import { hashPeerId, PEER_ID_LENGTH, Swarm } from './swarm-table.js'

/** Default time after its last announce before a peer is dropped, ms (about 2 announce intervals). */
export const DEFAULT_PEER_TIMEOUT_MS = 31 * 60_000
/** Default bound on peers kept per torrent; the peer seen longest ago is evicted. */
export const DEFAULT_MAX_PEERS_PER_TORRENT = 10_000
/** Default bound on torrents kept; the torrent announced longest ago is evicted. */
export const DEFAULT_MAX_TORRENTS = 100_000
/** Default bound on peers kept over all torrents (~110 bytes each: about 550 MB). */
export const DEFAULT_MAX_PEERS = 5_000_000
/** Torrents sampled per global eviction; the one whose oldest peer was seen longest ago loses it. */
const EVICTION_SAMPLE = 8
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
  /**
   * Most peers over all torrents (default {@link DEFAULT_MAX_PEERS}): past it, a new peer evicts the
   * least recently seen peer among a sample of torrents (approximate LRU, as Redis's).
   */
  maxPeers?: number
  /** Period of the expiry sweep, ms (default {@link DEFAULT_SWEEP_INTERVAL_MS}); 0 disables the timer. */
  sweepInterval?: number
  /** Clock, for tests (default `Date.now`). */
  now?: () => number
}

/**
 * The default in-process {@link PeerStore}: peers expire after `peerTimeout`, memory is bounded by
 * `maxPeersPerTorrent`, `maxTorrents` and `maxPeers` (oldest evicted first). Answers synchronously.
 *
 * @example
 * ```ts
 * const server = createTrackerServer({ store: new MemoryStore({ peerTimeout: 10 * 60_000 }) })
 * ```
 */
export class MemoryStore implements PeerStore {
  readonly #swarms = new Map<string, Swarm>()
  readonly #peerTimeout: number
  readonly #maxPeers: number
  readonly #maxTorrents: number
  readonly #maxTotalPeers: number
  /** Where the next eviction sample starts (round robin over the torrents). */
  #cursor: Iterator<[string, Swarm]> | undefined
  #evicted = 0
  readonly #now: () => number
  readonly #timer: NodeJS.Timeout | undefined
  #peerCount = 0
  #seederCount = 0

  constructor(options: MemoryStoreOptions = {}) {
    this.#peerTimeout = positive(options.peerTimeout, DEFAULT_PEER_TIMEOUT_MS, 'peerTimeout')
    this.#maxPeers = positive(options.maxPeersPerTorrent, DEFAULT_MAX_PEERS_PER_TORRENT, 'maxPeersPerTorrent')
    this.#maxTorrents = positive(options.maxTorrents, DEFAULT_MAX_TORRENTS, 'maxTorrents')
    this.#maxTotalPeers = positive(options.maxPeers, DEFAULT_MAX_PEERS, 'maxPeers')
    this.#now = options.now ?? Date.now
    const sweep = options.sweepInterval ?? DEFAULT_SWEEP_INTERVAL_MS
    if (sweep > 0) {
      this.#timer = setInterval(() => this.sweep(), sweep)
      this.#timer.unref()
    }
  }

  announce(req: StoreAnnounce): StoreAnnounceResult {
    const id = req.peerId
    if (id.length !== PEER_ID_LENGTH) {
      throw new TrackerServerError('TRACKER_SERVER_BAD_FIELD', `peer_id must be ${PEER_ID_LENGTH} bytes`)
    }
    const now = this.#now()
    let swarm = this.#swarms.get(req.infoHash)
    if (swarm) {
      swarm.touched = true
      this.#expire(swarm, now)
    } else if (req.event !== 'stopped') {
      if (this.#swarms.size >= this.#maxTorrents) this.#evictTorrent()
      swarm = new Swarm()
      this.#swarms.set(req.infoHash, swarm)
    } else {
      return { complete: 0, incomplete: 0, downloaded: 0, peers: [] }
    }
    const hash = hashPeerId(id)
    let slot = swarm.find(id, hash)
    const ip = ipBytes(req.host)
    // A peer id that moved to another IP: only its own key may move it.
    if (slot >= 0 && !swarm.hasIp(slot, ip) && !swarm.hasKey(slot, req.key)) throw peerConflict()
    if (req.event === 'stopped') {
      if (slot >= 0) this.#drop(swarm, slot)
      const counts = swarm.counts()
      if (swarm.size === 0 && swarm.downloaded === 0) this.#swarms.delete(req.infoHash)
      return { ...counts, peers: [] }
    }
    const wasSeeder = slot >= 0 && swarm.isSeeder(slot)
    if (req.event === 'completed' && !wasSeeder) swarm.downloaded++
    if (slot >= 0) {
      if (wasSeeder !== req.seeder) this.#seederCount += req.seeder ? 1 : -1
      swarm.refresh(slot, ip, req.port, req.seeder, req.key, now)
    } else {
      if (swarm.size >= this.#maxPeers) this.#drop(swarm, swarm.head)
      else if (this.#peerCount >= this.#maxTotalPeers) this.#evictPeer(swarm)
      slot = swarm.add(id, hash, ip, req.port, req.seeder, req.key, now)
      this.#peerCount++
      if (req.seeder) this.#seederCount++
    }
    return swarm.pick(slot, req)
  }

  scrape(infoHashes: readonly string[]): SwarmCounts[] {
    const now = this.#now()
    return infoHashes.map((h) => {
      const swarm = this.#swarms.get(h)
      if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 }
      this.#expire(swarm, now)
      return swarm.counts()
    })
  }

  /** Counts of up to `limit` torrents (those with live peers or downloads), for a full scrape. */
  fullScrape(limit: number): ScrapeEntry[] {
    const now = this.#now()
    const out: ScrapeEntry[] = []
    for (const [infoHash, swarm] of this.#swarms) {
      if (out.length >= limit) break
      this.#expire(swarm, now)
      if (swarm.size === 0 && swarm.downloaded === 0) continue
      out.push({ infoHash, ...swarm.counts() })
    }
    return out
  }

  totals(): StoreTotals {
    return {
      torrents: this.#swarms.size,
      seeders: this.#seederCount,
      leechers: this.#peerCount - this.#seederCount,
      peerBudget: this.#maxTotalPeers,
      evictedPeers: this.#evicted,
    }
  }

  /** Drops every expired peer and empty torrent now (the timer calls it every `sweepInterval`). */
  sweep(): void {
    const now = this.#now()
    for (const [hash, swarm] of this.#swarms) {
      this.#expire(swarm, now)
      if (swarm.size === 0 && swarm.downloaded === 0) this.#swarms.delete(hash)
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#swarms.clear()
    this.#peerCount = 0
    this.#seederCount = 0
  }

  #expire(swarm: Swarm, now: number): void {
    const limit = now - this.#peerTimeout
    while (swarm.head !== -1 && swarm.seenAt(swarm.head) <= limit) this.#drop(swarm, swarm.head)
  }

  #drop(swarm: Swarm, slot: number): void {
    if (swarm.remove(slot)) this.#seederCount--
    this.#peerCount--
  }

  /**
   * Evicts one peer for the global budget: of up to {@link EVICTION_SAMPLE} torrents with peers
   * (round robin, so every torrent is sampled in turn), the oldest peer of the one whose oldest was
   * seen longest ago. `current` (the announcing torrent) is always a candidate.
   */
  #evictPeer(current: Swarm): void {
    let victim = current.size > 0 ? current : undefined
    for (let i = 0, seen = 0; seen < EVICTION_SAMPLE && i < this.#swarms.size + 1; i++) {
      let next = this.#cursor?.next()
      if (!next || next.done) {
        this.#cursor = this.#swarms.entries()
        next = this.#cursor.next()
        if (next.done) break
      }
      const swarm = next.value[1]
      if (swarm.size === 0) continue
      seen++
      if (!victim || swarm.seenAt(swarm.head) < victim.seenAt(victim.head)) victim = swarm
    }
    if (!victim) return
    this.#drop(victim, victim.head)
    this.#evicted++
  }

  /**
   * Evicts one torrent, least recently announced first (second chance: a torrent announced since the
   * clock last passed it goes to the back once instead of being evicted).
   */
  #evictTorrent(): void {
    let [hash, swarm] = this.#swarms.entries().next().value!
    for (let i = 0; swarm.touched && i < this.#swarms.size; i++) {
      swarm.touched = false
      this.#swarms.delete(hash)
      this.#swarms.set(hash, swarm)
      ;[hash, swarm] = this.#swarms.entries().next().value!
    }
    this.#peerCount -= swarm.size
    this.#seederCount -= swarm.seeders
    this.#swarms.delete(hash)
  }
}

/** The IPv4 bytes of the announce being handled (the store is synchronous, so one is enough). */
const v4 = new Uint8Array(4)
/** Bytes of other IPs by IP text (the same peers announce again and again). */
let ipCache = new Map<string, Uint8Array>()

/**
 * The bytes of an IP (4 or 16): a dotted quad is read into {@link v4} without allocating (the same
 * grammar as `ipToBytes`), anything else goes through `ipToBytes`, cached.
 *
 * @throws {PeerAddressError} when `host` is not an IP.
 */
function ipBytes(host: string): Uint8Array {
  if (readIPv4(host)) return v4
  let ip = ipCache.get(host)
  if (ip === undefined) {
    ip = ipToBytes(host)
    if (ipCache.size >= 16_384) ipCache = new Map()
    ipCache.set(host, ip)
  }
  return ip
}

/** Reads a dotted quad (4 parts of 1-3 digits, no leading zero, each at most 255) into {@link v4}. */
function readIPv4(host: string): boolean {
  const n = host.length
  let part = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2e : host.charCodeAt(i)
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part === 4) return false
      v4[part++] = value
      value = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39 && digits < 3 && !(digits === 1 && value === 0)) {
      value = value * 10 + c - 0x30
      digits++
    } else {
      return false
    }
  }
  return part === 4
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
