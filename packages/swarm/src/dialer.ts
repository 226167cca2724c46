import { normalizeIp, type PeerAddress, peerPriority } from '@p2p/peer-address'
import type { WireClock } from '@p2p/peer-wire'
import { PeerBook } from './peer-book.js'
import type { PeerSession } from './peer-session.js'

/** BEP 55 rendezvous requests for one address we failed to dial (holepunch.ts). */
export interface Rendezvous {
  /** When we last asked a relay. */
  askedAt: number
  /** Relays asked since the last failed dial. */
  tried: Set<PeerSession>
  /** The relay whose answer is due, or that answered `connect` or NoSupport. */
  pending?: PeerSession
  /** Punches that failed since the last failed dial (holepunch.ts `punchFailed`). */
  punchFailures: number
}

/** BEP 55 counts of a torrent (see `Torrent.holepunches`). */
export interface HolepunchCounts {
  /** Rendezvous requests we sent to relays. */
  asked: number
  /** Rendezvous we relayed (sent `connect` to both peers). */
  relayed: number
  /** uTP dials started on a `connect` from a relay. */
  started: number
  /** Of those, the dials that connected. */
  connected: number
}

/** Delay between dial rounds. */
export const DIAL_TICK_MS = 1_000

/** What a dial round asks of the torrent's connections, and how it dials. */
export interface DialTarget {
  /** Connection slots free (the limit less the open connections; dials being opened not counted). */
  room(): number
  /** Whether a dial may go out while the torrent is full (see `mayDialWhenFull`). */
  mayDialWhenFull(): boolean
  /** Whether the client may open one more connection. */
  canConnect(): boolean
  /** The lowest BEP 40 rank among the connections a newcomer may replace, if any. */
  lowestRank(): number | undefined
  /** Dials `addr`. */
  connect(addr: PeerAddress): void
}

/** Bound on addresses with rendezvous requests. */
const MAX_RENDEZVOUS = 1_000

/** Bound on a torrent's remembered ranks (the peer book holds up to 1,000 addresses). */
const RANK_CACHE_SIZE = 4_096

/**
 * The one owner of a torrent's dialing state: the peers it knows (the book), dials being opened, the
 * timer of the next dial round and what a round dials, our address as peers see it and the BEP 40
 * ranks against it, and the BEP 55 rendezvous kept per address we failed to dial. A round picks due
 * candidates; dialing them is the {@link DialTarget}'s (peer-connections.ts). A stopped dialer (torrent
 * paused or destroyed) runs none.
 */
export class Dialer {
  /** Every peer address the torrent knows, with its dial state and back-off. */
  readonly book: PeerBook
  /** Per address we failed to dial (formatted): the BEP 55 rendezvous requests for it (holepunch.ts). */
  readonly #rendezvous = new Map<string, Rendezvous>()
  readonly #holepunches: HolepunchCounts = { asked: 0, relayed: 0, started: 0, connected: 0 }
  #pending = 0
  #localHost: string | undefined
  readonly #clock: WireClock
  readonly #port: () => number
  readonly #target: DialTarget
  /** Ranks remembered (by our address and theirs), at most {@link RANK_CACHE_SIZE}. */
  readonly #ranks = new Map<string, number>()
  #timer: unknown
  #stopped = false

  /** `port`: the port we listen on (for our BEP 40 address); `target`: the connections a round fills. */
  constructor(clock: WireClock, port: () => number, target: DialTarget) {
    this.#clock = clock
    this.#port = port
    this.#target = target
    this.book = new PeerBook({ now: () => clock.now() })
  }

  /** BEP 55 counts. */
  get holepunches(): Readonly<HolepunchCounts> {
    return this.#holepunches
  }

  /** Counts one BEP 55 event of `kind`. */
  countHolepunch(kind: keyof HolepunchCounts): void {
    this.#holepunches[kind]++
  }

  /** The rendezvous requests for the address `key` (formatted), if a dial to it failed. */
  rendezvous(key: string): Rendezvous | undefined {
    return this.#rendezvous.get(key)
  }

  /**
   * The rendezvous requests for the address `key` (formatted), new ones if there are none (the oldest
   * address is forgotten beyond {@link MAX_RENDEZVOUS}).
   */
  openRendezvous(key: string): Rendezvous {
    const all = this.#rendezvous
    let r = all.get(key)
    if (!r) {
      if (all.size >= MAX_RENDEZVOUS) all.delete(all.keys().next().value!)
      r = { askedAt: Number.NEGATIVE_INFINITY, tried: new Set(), punchFailures: 0 }
      all.set(key, r)
    }
    return r
  }

  /** Forgets the rendezvous requests for the address `key` (formatted): it connected or is never dialed. */
  closeRendezvous(key: string): void {
    this.#rendezvous.delete(key)
  }

  /** Outgoing connections being opened. */
  get pending(): number {
    return this.#pending
  }

  /** A dial starts: it counts as being opened until {@link Dialer.dialEnded}. */
  dialStarted(): void {
    this.#pending++
  }

  /** A dial connected or failed. */
  dialEnded(): void {
    this.#pending--
  }

  /** Our address as peers see it (the local end of a connection), for BEP 40 ranks. */
  get localHost(): string | undefined {
    return this.#localHost
  }

  /** The local end of a connection: the first usable one becomes our address for BEP 40 ranks. */
  learnLocalAddress(address: string): void {
    if (this.#localHost) return
    try {
      this.#localHost = normalizeIp(address)
    } catch {
      // keep the default
    }
  }

  /** Our address for BEP 40 ranks: the local end of our connections (loopback until one is up). */
  self(): PeerAddress {
    return { host: this.#localHost ?? '127.0.0.1', port: this.#port() }
  }

  /**
   * BEP 40 rank of a peer address against ours (higher is kept first). Remembered: every dial tick at
   * the connection limit ranks every known peer, and parsing two addresses and a CRC32-C each time
   * was the largest cost of a 100-peer simulated swarm's start.
   */
  rank(addr: PeerAddress): number {
    const self = this.self()
    const key = `${self.host}|${self.port}|${addr.host}|${addr.port}`
    const cache = this.#ranks
    let rank = cache.get(key)
    if (rank === undefined) {
      try {
        rank = peerPriority(self, addr)
      } catch {
        rank = 0
      }
      if (cache.size >= RANK_CACHE_SIZE) cache.clear()
      cache.set(key, rank)
    }
    return rank
  }

  /** Runs a dial round in `ms` (0: now, replacing a later one); none while stopped. */
  schedule(ms: number): void {
    if (this.#stopped) return
    const clock = this.#clock
    if (this.#timer !== undefined) {
      if (ms > 0) return
      clock.clearTimeout(this.#timer)
    }
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined
      this.#round()
    }, ms)
  }

  /** One dial round: dials due candidates into free slots. */
  #round(): void {
    if (this.#stopped) return
    const target = this.#target
    // A finished torrent does not go looking for peers (they come to it), except seeds we were told about.
    const room = target.room() - this.#pending
    // Full: one dial at a time may take the slot of an idle connection or of incoming ones above their share.
    const dials = room > 0 ? room : this.#pending === 0 && target.mayDialWhenFull() ? 1 : 0
    const { peers, nextInMs } = this.book.candidates(dials, this.self())
    for (const addr of peers) {
      if (!target.canConnect()) break
      target.connect(addr)
    }
    // Full: one dial at a time to a known peer that ranks above our lowest connection (BEP 40).
    if (dials === 0 && this.#pending === 0 && target.canConnect()) {
      const best = this.#bestCandidate()
      const lowest = target.lowestRank()
      if (best && lowest !== undefined && lowest < best.rank) target.connect(best.addr)
    }
    if (Number.isFinite(nextInMs)) this.schedule(Math.max(nextInMs, DIAL_TICK_MS))
  }

  /** The due dial candidate with the highest rank. */
  #bestCandidate(): { addr: PeerAddress; rank: number } | undefined {
    let best: { addr: PeerAddress; rank: number } | undefined
    for (const addr of this.book.candidates(Number.MAX_SAFE_INTEGER, this.self()).peers) {
      const rank = this.rank(addr)
      if (!best || rank > best.rank) best = { addr, rank }
    }
    return best
  }

  /** No dial round until {@link Dialer.start} (the torrent was paused or destroyed). */
  stop(): void {
    this.#stopped = true
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Rounds may be scheduled again (the torrent was resumed); none is scheduled here. */
  start(): void {
    this.#stopped = false
  }
}
