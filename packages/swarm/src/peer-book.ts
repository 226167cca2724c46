import { formatPeer, type PeerAddress, peerPriority } from '@p2p/peer-address'

/** Default first delay before retrying a peer that failed, ms (doubles per failure). */
export const DEFAULT_RETRY_BASE_MS = 1_000
/** Longest retry delay, ms. */
export const MAX_RETRY_MS = 120_000
/** Delay before dialing a peer again after a connection that worked ended, ms. */
export const RECONNECT_DELAY_MS = 10_000
/** Default bound on known (not necessarily connected) peers per torrent. */
export const DEFAULT_MAX_KNOWN_PEERS = 1_000

/** @internal What {@link PeerBook.candidates} returns. */
export interface DialCandidates {
  /** Peers to dial now, best first. */
  peers: PeerAddress[]
  /** Milliseconds until the next backed-off peer is due (Infinity when none waits). */
  nextInMs: number
}

/** Where a peer address came from. */
export type PeerSource = 'tracker' | 'pex' | 'manual' | 'incoming' | 'magnet' | 'lsd' | 'dht'

interface Entry {
  addr: PeerAddress
  source: PeerSource
  failures: number
  retryAt: number
  connected: boolean
  dialing: boolean
  /** Never dial again (self, banned). */
  never: boolean
  /** BEP 40 priority against `rankSelf`, computed once (sorting thousands of candidates parsed both addresses per comparison). */
  rank?: number
  rankSelf?: string
}

/**
 * @internal The peers a torrent knows about and when each may be dialed: back-off on failures, no dialing of
 * connected or banned peers, BEP 40 priority among candidates.
 */
export class PeerBook {
  readonly #entries = new Map<string, Entry>()
  readonly #max: number
  readonly #now: () => number

  constructor(options: { maxKnown?: number; now?: () => number } = {}) {
    this.#max = options.maxKnown ?? DEFAULT_MAX_KNOWN_PEERS
    this.#now = options.now ?? Date.now
  }

  /** Number of known peers. */
  get size(): number {
    return this.#entries.size
  }

  /** Adds a peer; false when it was known already or the book is full. */
  add(addr: PeerAddress, source: PeerSource): boolean {
    const key = formatPeer(addr)
    const e = this.#entries.get(key)
    if (e) {
      // A fresh report of a peer that failed before: let it be tried again soon.
      if (!e.never && !e.connected && source !== 'pex') e.retryAt = Math.min(e.retryAt, this.#now() + 1_000)
      return false
    }
    if (this.#entries.size >= this.#max) return false
    this.#entries.set(key, {
      addr,
      source,
      failures: 0,
      retryAt: 0,
      connected: false,
      dialing: false,
      never: false,
    })
    return true
  }

  /** Whether this address is connected. */
  isConnected(addr: PeerAddress): boolean {
    return this.#entries.get(formatPeer(addr))?.connected ?? false
  }

  /** Whether this address must never be dialed. */
  isNever(addr: PeerAddress): boolean {
    return this.#entries.get(formatPeer(addr))?.never ?? false
  }

  /** Marks a dial starting. */
  dialing(addr: PeerAddress): void {
    const e = this.#entries.get(formatPeer(addr))
    if (e) e.dialing = true
  }

  /** Marks the address connected (dialed or incoming). */
  connected(addr: PeerAddress, source: PeerSource = 'incoming'): void {
    const key = formatPeer(addr)
    let e = this.#entries.get(key)
    if (!e) {
      e = { addr, source, failures: 0, retryAt: 0, connected: false, dialing: false, never: false }
      this.#entries.set(key, e)
    }
    e.connected = true
    e.dialing = false
    e.failures = 0
  }

  /** A dial failed: back off. */
  failed(addr: PeerAddress): void {
    const e = this.#entries.get(formatPeer(addr))
    if (!e) return
    e.dialing = false
    e.connected = false
    e.failures++
    e.retryAt = this.#now() + Math.min(MAX_RETRY_MS, DEFAULT_RETRY_BASE_MS * 2 ** (e.failures - 1))
  }

  /** A connection ended. */
  disconnected(addr: PeerAddress, delay = RECONNECT_DELAY_MS): void {
    const e = this.#entries.get(formatPeer(addr))
    if (!e) return
    e.connected = false
    e.dialing = false
    e.retryAt = this.#now() + delay
  }

  /** Makes every known peer due now (e.g. a finished torrent wants pieces again); keeps `never`. */
  retryAll(): void {
    const now = this.#now()
    for (const e of this.#entries.values()) if (!e.never) e.retryAt = Math.min(e.retryAt, now)
  }

  /** Never dial this address again. */
  never(addr: PeerAddress): void {
    const key = formatPeer(addr)
    const e = this.#entries.get(key)
    if (e) e.never = true
    else
      this.#entries.set(key, {
        addr,
        source: 'manual',
        failures: 0,
        retryAt: 0,
        connected: false,
        dialing: false,
        never: true,
      })
  }

  /**
   * Up to `n` peers to dial now, best first (fewest failures, then BEP 40 priority against `self`),
   * and the delay until the next one becomes due (Infinity when none waits).
   */
  candidates(n: number, self?: PeerAddress): DialCandidates {
    const now = this.#now()
    let next = Number.POSITIVE_INFINITY
    const due: Entry[] = []
    for (const e of this.#entries.values()) {
      if (e.never || e.connected || e.dialing) continue
      if (e.retryAt > now) next = Math.min(next, e.retryAt - now)
      else due.push(e)
    }
    const selfKey = self && formatPeer(self)
    const prio = (e: Entry) => {
      if (!self) return 0
      if (e.rank === undefined || e.rankSelf !== selfKey) {
        e.rank = safePriority(self, e.addr)
        e.rankSelf = selfKey
      }
      return e.rank
    }
    due.sort((a, b) => a.failures - b.failures || prio(b) - prio(a))
    return { peers: due.slice(0, Math.max(0, n)).map((e) => e.addr), nextInMs: next }
  }

  /** Connected and dialable addresses (for PEX). */
  connectedPeers(): PeerAddress[] {
    // Every entry is a listening address (incoming peers enter only once they told us their port).
    return [...this.#entries.values()].filter((e) => e.connected).map((e) => e.addr)
  }
}

function safePriority(a: PeerAddress, b: PeerAddress): number {
  try {
    return peerPriority(a, b)
  } catch {
    return 0
  }
}
