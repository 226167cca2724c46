import { availabilityOf } from '@p2p/sim'
import type { SimAvailability } from './sim-swarm-types.js'

/**
 * What a simulated swarm measures of its leechers: per-leecher times, uploads and drawn capacities,
 * counts, the copies of each piece among the leechers present (sampled as availability), and the
 * progress of a few traced leechers.
 */
export class SwarmTally {
  readonly arriveAt: Float64Array
  readonly firstPieceAt: Float64Array
  readonly doneAt: Float64Array
  readonly leftAt: Float64Array
  /** Virtual bytes each leecher uploaded (when it left, or at the end). */
  readonly uploaded: Float64Array
  /** Drawn upload and download capacities per leecher, bytes/s. */
  readonly up: Float64Array
  readonly down: Float64Array
  readonly availability: SimAvailability[] = []
  arrived = 0
  done = 0
  left = 0
  leftUnfinished = 0
  verifiedPieces = 0
  failedPieces = 0
  readonly #pieces: number
  readonly #copies: Uint32Array
  readonly #traced = new Map<number, [number, number][]>()

  /** Traces `tracedPeers` (default 20) leechers, evenly spread. */
  constructor(leechers: number, pieces: number, tracedPeers = 20) {
    const n = leechers
    this.arriveAt = new Float64Array(n)
    this.firstPieceAt = new Float64Array(n).fill(Number.NaN)
    this.doneAt = new Float64Array(n).fill(Number.NaN)
    this.leftAt = new Float64Array(n).fill(Number.NaN)
    this.uploaded = new Float64Array(n)
    this.up = new Float64Array(n)
    this.down = new Float64Array(n)
    this.#pieces = pieces
    this.#copies = new Uint32Array(pieces)
    const nTraced = Math.min(n, tracedPeers)
    for (let i = 0; i < nTraced; i++) this.#traced.set(Math.floor((i * n) / nTraced), [])
  }

  /** Leecher `i` verified piece `index` (`ok`), holding `have` (undefined once it left). */
  piece(i: number, index: number, ok: boolean, have: Uint8Array | undefined, t: number): void {
    if (!ok) this.failedPieces++
    if (!ok || !have || have[index]) return
    this.verifiedPieces++
    have[index] = 1
    this.#copies[index]!++
    if (Number.isNaN(this.firstPieceAt[i]!)) this.firstPieceAt[i] = t
  }

  /** Leecher `i` left at `t` having uploaded `uploaded` virtual bytes; the pieces in `have` go with it. */
  leave(i: number, t: number, uploaded: number, have: Uint8Array | undefined): void {
    this.leftAt[i] = t
    this.left++
    if (Number.isNaN(this.doneAt[i]!)) this.leftUnfinished++
    this.uploaded[i] = uploaded
    if (have) for (let x = 0; x < this.#pieces; x++) this.#copies[x]! -= have[x]!
  }

  /** Samples availability among the `present` leechers and the traced leechers' progress at `t`. */
  sample(t: number, present: number, haveOf: (i: number) => Uint8Array | undefined): void {
    if (present > 0) this.availability.push(availabilityOf(t, this.#copies, present))
    for (const [i, pts] of this.#traced) {
      const have = haveOf(i)
      if (have) pts.push([t, have.reduce((a, b) => a + b, 0) / this.#pieces])
    }
  }

  /** The traced leechers' progress: [t, fraction] each. */
  traces(): { peer: number; points: [number, number][] }[] {
    return [...this.#traced].map(([peer, points]) => ({ peer, points }))
  }

  /** Whether every leecher arrived and each finished or left unfinished. */
  finished(): boolean {
    const n = this.doneAt.length
    return this.arrived === n && this.done + this.leftUnfinished === n
  }

  /** When the last staying leecher finished (undefined when one did not). */
  completion(): number | undefined {
    const { doneAt, leftAt } = this
    const staying = [...doneAt.keys()].filter((i) => Number.isNaN(leftAt[i]!) || !Number.isNaN(doneAt[i]!))
    const allDone = staying.every((i) => !Number.isNaN(doneAt[i]!))
    return allDone && staying.length ? Math.max(...staying.map((i) => doneAt[i]!)) : undefined
  }
}
