import type { PeerAddress } from '@p2p/peer-address'
import { type BlockRequest, Wire } from '@p2p/peer-wire'
import type { SimNetwork } from './network.js'
import type { Prng } from './prng.js'

/** What a scripted peer does wrong. */
export type FaultKind =
  /** Chokes and unchokes at random moments (with rejects under the fast extension). */
  | 'choker'
  /** Disconnects after a random number of requests (before, during or after pieces). */
  | 'quitter'
  /** Sends wrong bytes for some pieces (the only kind that may be banned). */
  | 'corrupt'
  /** Sends blocks nobody asked for, besides the requested ones. */
  | 'unrequested'
  /** Announces every piece, then takes some back with lt_donthave and rejects or ignores them. */
  | 'donthave'
  /** Takes requests and never answers them. */
  | 'staller'
  /** Serves everything, over a very slow link. */
  | 'slow'

/** Every fault kind, for drawing one. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'choker',
  'quitter',
  'corrupt',
  'unrequested',
  'donthave',
  'staller',
  'slow',
]

/** What the scripted peers of one kind did in a run: handshakes completed and faults committed. */
export interface FaultCount {
  /** Connections on which the peer's handshake completed. */
  handshakes: number
  /** Times the peer did its fault (a choke, a disconnect, a corrupt or unrequested block, a donthave, a stalled request, a slow block). */
  faults: number
}

/** What a scripted peer serves. */
export interface SimTorrent {
  infoHash: Uint8Array
  pieceLength: number
  pieceCount: number
  content: Uint8Array
}

/** A raw protocol message header of a piece message. */
function pieceFrame(index: number, begin: number, block: Uint8Array): Uint8Array {
  const m = new Uint8Array(13 + block.length)
  const v = new DataView(m.buffer)
  v.setUint32(0, 9 + block.length)
  m[4] = 7
  v.setUint32(5, index)
  v.setUint32(9, begin)
  m.set(block, 13)
  return m
}

/**
 * A peer driven by a script rather than the swarm: the real `Wire` on a simulated link, serving the
 * torrent's bytes with one {@link FaultKind}, every choice drawn from the run's PRNG.
 */
export class FaultPeer {
  readonly addr: PeerAddress
  readonly kind: FaultKind
  readonly fast: boolean
  readonly #net: SimNetwork
  readonly #rng: Prng
  readonly #torrent: SimTorrent
  readonly #corruptPieces = new Set<number>()
  /** Handshakes completed and faults done by this peer. */
  readonly count: FaultCount = { handshakes: 0, faults: 0 }

  constructor(net: SimNetwork, rng: Prng, torrent: SimTorrent, addr: PeerAddress, kind: FaultKind) {
    this.#net = net
    this.#rng = rng
    this.#torrent = torrent
    this.addr = addr
    this.kind = kind
    this.fast = rng.chance(0.6)
    if (kind === 'corrupt') {
      for (let i = 0; i < torrent.pieceCount; i++) if (rng.chance(0.5)) this.#corruptPieces.add(i)
    }
    if (kind === 'slow') net.setLink(addr.host, { latencyMs: 50, bytesPerSecond: 20_000 })
    net.listen(addr.host, addr.port, (stream) => this.#serve(new Wire(stream, this.#options())))
  }

  #options() {
    const t = this.#torrent
    return {
      infoHash: t.infoHash,
      peerId: this.#rng.bytes(20),
      pieceCount: t.pieceCount,
      pieceLength: t.pieceLength,
      length: t.content.length,
      fast: this.fast,
      clock: this.#net.clock,
    }
  }

  #serve(wire: Wire): void {
    const rng = this.#rng
    const t = this.#torrent
    const clock = this.#net.clock
    const lost = new Set<number>()
    let requests = 0
    const quitAfter = rng.int(0, 12)
    let choking = false
    const later = (ms: number, fn: () => void) =>
      clock.setTimeout(() => {
        if (!wire.destroyed) fn()
      }, ms)
    wire.on('handshake', () => {
      this.count.handshakes++
      if (this.fast) wire.haveAll()
      else wire.bitfield(allPieces(t.pieceCount), t.pieceCount)
      if (this.kind === 'donthave') {
        for (let n = rng.int(1, 3); n > 0; n--) {
          const i = rng.int(0, t.pieceCount - 1)
          later(rng.int(0, 3000), () => {
            lost.add(i)
            this.count.faults++
            wire.donthave(i)
          })
        }
      }
      later(rng.int(0, 200), () => wire.unchoke())
    })
    wire.on('request', (req) => {
      requests++
      if (this.kind === 'quitter' && requests > quitAfter) {
        if (requests === quitAfter + 1) this.count.faults++
        later(rng.int(0, 30), () => wire.destroy())
        return
      }
      // Chokes soon after requests come in (blocks still in flight), unchokes a while later.
      if (this.kind === 'choker' && !choking && rng.chance(0.3)) {
        choking = true
        this.count.faults++
        later(rng.int(0, 30), () => {
          wire.choke()
          later(rng.int(0, 2000), () => {
            choking = false
            wire.unchoke()
          })
        })
      }
      if (this.kind === 'staller') {
        this.count.faults++
        return
      }
      if (lost.has(req.index)) {
        if (rng.chance(0.5)) wire.rejectRequest(req)
        return
      }
      later(rng.int(0, 20), () => this.#answer(wire, req))
      if (this.kind === 'unrequested' && rng.chance(0.3)) {
        const index = rng.int(0, t.pieceCount - 1)
        const length = Math.min(16_384, t.pieceLength, t.content.length - index * t.pieceLength)
        this.count.faults++
        wire.stream.write(pieceFrame(index, 0, this.#bytes(index, 0, length)))
      }
    })
    wire.handshake()
  }

  #answer(wire: Wire, req: BlockRequest): void {
    const block = this.#bytes(req.index, req.begin, req.length)
    if (this.#corruptPieces.has(req.index)) {
      const bad = Uint8Array.from(block)
      bad[this.#rng.int(0, bad.length - 1)]! ^= 0xff
      this.count.faults++
      wire.piece(req.index, req.begin, bad)
    } else {
      if (this.kind === 'slow') this.count.faults++
      wire.piece(req.index, req.begin, block)
    }
  }

  #bytes(index: number, begin: number, length: number): Uint8Array {
    const at = index * this.#torrent.pieceLength + begin
    return this.#torrent.content.subarray(at, at + length)
  }
}

function allPieces(pieceCount: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(pieceCount / 8))
  for (let i = 0; i < pieceCount; i++) bits[i >> 3]! |= 0x80 >> (i & 7)
  return bits
}
