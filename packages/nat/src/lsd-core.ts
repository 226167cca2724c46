import { parseLsdAnnounce } from './lsd-message.js'

/** A peer learnt from a local announce. */
export interface LsdPeer {
  /** The info hash (hex) it announced that is one of ours. */
  infoHash: string
  /** Its address: the datagram's source address (BEP 14). */
  host: string
  /** Its BitTorrent port. */
  port: number
}

/** Options of {@link LsdCore}. */
export interface LsdCoreOptions {
  /** Our cookie; default random. */
  cookie?: string
  /** Announce each torrent this often. Default 5 minutes (BEP 14). */
  intervalMs?: number
  /** At most one announce round this often. Default 1 minute (BEP 14). */
  minIntervalMs?: number
  /** Announces accepted per source address per minute; more are dropped. Default 10. */
  maxPerSourcePerMinute?: number
  /** The same peer for the same torrent is reported at most once in this time. Default 60 s. */
  repeatMs?: number
}

/** Info hashes per announce round: one datagram of at most 1400 bytes holds 25. */
const HASHES_PER_ROUND = 25
const MAX_SOURCES = 256
const MAX_REPORTED = 4096
const MINUTE_MS = 60_000

/**
 * Local service discovery (BEP 14) without I/O: which info hashes to announce when, and which peers an
 * incoming datagram tells us about. Our own announces (same cookie), unknown torrents, malformed
 * datagrams and sources over their rate are dropped; memory is bounded.
 */
export class LsdCore {
  /** Our cookie, sent in every announce. */
  readonly cookie: string
  readonly #intervalMs: number
  readonly #minIntervalMs: number
  readonly #maxPerSource: number
  readonly #repeatMs: number
  /** Torrent (its info hashes, space-separated) -> when last announced. */
  readonly #torrents = new Map<string, number>()
  readonly #ours = new Set<string>()
  readonly #sources = new Map<string, { windowStart: number; count: number }>()
  readonly #reported = new Map<string, number>()
  #lastRound = Number.NEGATIVE_INFINITY
  #dropped = 0

  constructor(options: LsdCoreOptions = {}) {
    this.cookie = options.cookie ?? `p2p${Math.random().toString(36).slice(2, 10)}`
    this.#intervalMs = options.intervalMs ?? 5 * MINUTE_MS
    this.#minIntervalMs = options.minIntervalMs ?? MINUTE_MS
    this.#maxPerSource = options.maxPerSourcePerMinute ?? 10
    this.#repeatMs = options.repeatMs ?? MINUTE_MS
  }

  /** Datagrams dropped so far (malformed, over rate, our own). */
  get dropped(): number {
    return this.#dropped
  }

  /** Adds a torrent under its info hashes (hex; a hybrid torrent's v1 hash and truncated v2 hash), due now. */
  addTorrent(infoHashes: readonly string[]): void {
    const hashes = infoHashes.map((h) => h.toLowerCase())
    this.#torrents.set(hashes.join(' '), Number.NEGATIVE_INFINITY)
    for (const h of hashes) this.#ours.add(h)
  }

  /** Stops announcing a torrent and ignores announces for it. */
  removeTorrent(infoHashes: readonly string[]): void {
    const hashes = infoHashes.map((h) => h.toLowerCase())
    this.#torrents.delete(hashes.join(' '))
    for (const h of hashes) this.#ours.delete(h)
  }

  /** When the next announce round is due (ms), or undefined with no torrents. */
  nextDue(): number | undefined {
    let oldest = Number.POSITIVE_INFINITY
    for (const last of this.#torrents.values()) oldest = Math.min(oldest, last)
    if (oldest === Number.POSITIVE_INFINITY) return undefined
    return Math.max(oldest + this.#intervalMs, this.#lastRound + this.#minIntervalMs)
  }

  /** The info hashes to announce now (oldest first, at most one datagram's worth), or [] when none is due. */
  poll(nowMs: number): string[] {
    const due = this.nextDue()
    if (due === undefined || due > nowMs) return []
    const torrents = [...this.#torrents]
      .filter(([, last]) => last + this.#intervalMs <= nowMs)
      .sort((a, b) => a[1] - b[1])
    const hashes: string[] = []
    for (const [key] of torrents) {
      const own = key.split(' ')
      if (hashes.length + own.length > HASHES_PER_ROUND) break
      hashes.push(...own)
      this.#torrents.set(key, nowMs)
    }
    this.#lastRound = nowMs
    return hashes
  }

  /** The peers a datagram from `host` announces for our torrents; never throws. */
  handleDatagram(datagram: Uint8Array, host: string, nowMs: number): LsdPeer[] {
    let announce: ReturnType<typeof parseLsdAnnounce>
    try {
      announce = parseLsdAnnounce(datagram)
    } catch {
      this.#dropped++
      return []
    }
    if (announce.cookie === this.cookie || !this.#allow(host, nowMs)) {
      this.#dropped++
      return []
    }
    const peers: LsdPeer[] = []
    for (const infoHash of announce.infoHashes) {
      if (!this.#ours.has(infoHash)) continue
      const key = `${infoHash} ${host} ${announce.port}`
      const last = this.#reported.get(key)
      if (last !== undefined && nowMs - last < this.#repeatMs) continue
      this.#reported.delete(key)
      this.#reported.set(key, nowMs)
      if (this.#reported.size > MAX_REPORTED) this.#reported.delete(this.#reported.keys().next().value!)
      peers.push({ infoHash, host, port: announce.port })
    }
    return peers
  }

  #allow(host: string, nowMs: number): boolean {
    let source = this.#sources.get(host)
    if (!source || nowMs - source.windowStart >= MINUTE_MS) {
      this.#sources.delete(host)
      source = { windowStart: nowMs, count: 0 }
      this.#sources.set(host, source)
      if (this.#sources.size > MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value!)
    }
    return ++source.count <= this.#maxPerSource
  }
}
