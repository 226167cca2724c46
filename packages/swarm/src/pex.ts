import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { PEX_MAX_PER_MESSAGE, PexFlag, type WireClock } from '@p2p/peer-wire'
import type { PeerBook } from './peer-book.js'
import type { PeerSession as Peer } from './peer-session.js'

/** Interval between PEX rounds. */
export const PEX_INTERVAL_MS = 60_000
/** Delay of the PEX round that follows a connection or a disconnection (changes come in bursts). */
const PEX_SOON_MS = 500

/** What a torrent's {@link Pex} reads: its connections, the addresses it is connected to, privacy. */
export interface PexSource {
  /** The torrent's connections. */
  readonly sessions: Iterable<Peer>
  /** The peer book (the addresses we are connected to, by their listening ports). */
  readonly book: PeerBook
  /** Whether the torrent is private (BEP 27: no PEX; a magnet learns it with the metadata). */
  isPrivate(): boolean
}

/**
 * A torrent's PEX rounds (BEP 11): every {@link PEX_INTERVAL_MS}, and soon after a connection or a
 * disconnection (changes come in bursts; the wire paces ut_pex itself). Stopped with the torrent.
 */
export class Pex {
  readonly #clock: WireClock
  readonly #source: PexSource
  #timer: unknown
  #stopped = false

  constructor(clock: WireClock, source: PexSource) {
    this.#clock = clock
    this.#source = source
  }

  /** Runs a round in `PEX_SOON_MS` (unless one is due by then). */
  soon(): void {
    if (this.#timer || this.#stopped) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      if (!this.#stopped) sendPex(this.#source)
    }, PEX_SOON_MS)
  }

  /** Runs a round now. */
  round(): void {
    sendPex(this.#source)
  }

  /** No more rounds. */
  stop(): void {
    this.#stopped = true
    this.#clock.clearTimeout(this.#timer)
  }
}

/**
 * Sends each peer the connected peers it has not been told about yet, and the ones it was told about
 * that are gone (BEP 11 `dropped`), at most {@link PEX_MAX_PER_MESSAGE} of each a round.
 */
function sendPex(s: PexSource): void {
  if (s.isPrivate()) return // BEP 27 (a magnet learns it with the metadata)
  const all = new Map<string, PeerAddress & { flags?: number }>()
  const flags = new Map<string, number>()
  for (const p of s.sessions) if (p.handshaken) flags.set(formatPeer(p.listen ?? p.addr), pexFlags(p))
  for (const a of s.book.connectedPeers()) {
    const key = formatPeer(a)
    const f = flags.get(key)
    all.set(key, f ? { ...a, flags: f } : a)
  }
  for (const p of s.sessions) {
    if (!p.handshaken) continue
    const self = formatPeer(p.listen ?? p.addr)
    const added: (PeerAddress & { flags?: number })[] = []
    for (const [key, a] of all) {
      if (added.length === PEX_MAX_PER_MESSAGE) break
      if (key !== self && !p.pexSent.has(key)) added.push(a)
    }
    const dropped: PeerAddress[] = []
    for (const [key, a] of p.pexSent) {
      if (dropped.length === PEX_MAX_PER_MESSAGE) break
      if (!all.has(key)) dropped.push(a)
    }
    if (!added.length && !dropped.length) continue
    // Queued on the wire, which sends it only if the peer speaks ut_pex.
    p.sendPex({ added, dropped })
  }
}

/** BEP 11 flags of a connected peer: uTP when it is connected over uTP, holepunch when it speaks ut_holepunch. */
function pexFlags(p: Peer): number {
  return (
    (p.transport === 'utp' ? PexFlag.utp : 0) |
    (p.supports('ut_holepunch') ? PexFlag.holepunch : 0) |
    (p.incoming ? 0 : PexFlag.reachable)
  )
}
