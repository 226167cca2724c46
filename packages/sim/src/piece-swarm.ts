import { exponential } from '@p2p/deterministic'
import {
  BLOCK_SIZE,
  type BlockRequest,
  CHOKE_INTERVAL_MS,
  Choker,
  DEFAULT_UPLOAD_SLOTS,
  MIN_PIPELINE,
  type PeerPieces,
  PiecePicker,
} from '@p2p/swarm'
import { availabilityOf } from './availability.js'
import { type Flow, Half, shareUplink } from './piece-flow.js'
import type {
  PieceAvailability,
  PieceSwarmOptions,
  PieceSwarmProgress,
  PieceSwarmResult,
} from './piece-swarm-types.js'
import { Prng } from './prng.js'
import { RunMeter } from './run-meter.js'
import { VirtualClock } from './virtual-clock.js'

/** Bytes below which a flow counts as sent (float rounding of the shares). */
const EPSILON = 1e-3
/** Pieces missing beyond the downloader's flows at which the endgame may have started (see `#request`). */
const ENDGAME_SLACK = 8

/**
 * A piece-level swarm model: no wire and no bytes, but each leecher's real `PiecePicker` and each
 * peer's real `Choker` from `@p2p/swarm`, on a {@link VirtualClock}. It reaches 10,000 peers where a
 * full client per peer does not.
 *
 * - Peers find each other through a tracker model: on arrival and every `announceMs`, up to `numwant`
 *   random present peers, connected while both have a free connection (two seeds never connect).
 * - Every `CHOKE_INTERVAL_MS` (each peer at its own phase) a peer's `Choker` runs on the rates it
 *   measured since its last round (what it received from each neighbour while leeching, what it
 *   sent each one when seeding); free slots are filled at once when a peer becomes interested or
 *   one leaves, as the swarm's `unchokeSpare` does.
 * - An unchoked, interested downloader asks its picker for `MIN_PIPELINE` blocks (`pick`, rarest
 *   first with the random first pieces, partial pieces first, endgame duplicates); the batch is a
 *   flow. The first batch after an unchoke starts one round trip later; the next one right after it
 *   (a pipeline). Blocks arrive with the batch's last byte (`received`; a choke delivers the blocks
 *   fully sent and releases the rest); a complete piece is `verified` and announced: the
 *   neighbours' pickers count it at once (`addHave`) and their interest follows.
 * - Rates: an uploader's capacity is shared equally by its flows, none above its downloader's
 *   capacity shared equally by that downloader's flows, what a capped flow leaves going to the others.
 *   When a flow starts or ends, only its uploader's flows and those of the uploaders sending to its
 *   downloader are re-rated; each uploader has one timer, for its earliest flow to end.
 * - Arrivals as a flash crowd or a Poisson process; churn (leave unfinished, or seed for a while
 *   and leave). Everything random comes from one {@link Prng}: the same seed gives the same run.
 *
 * Approximations: have messages and connection set-up take no time (latency delays the first
 * request after an unchoke), and the download cap is shared equally rather than max-min fairly.
 *
 * @example
 * ```ts
 * const r = new PieceSwarm({
 *   seed: 1, size: 64 * 2 ** 20, pieces: 256, leechers: 1000, arrivals: { kind: 'flash' },
 *   seeders: [{ up: 625_000, down: 1_250_000, latencyMs: 20 }],
 *   leecherLink: () => ({ up: 125_000, down: 375_000, latencyMs: 50 }), sampleMs: 10_000,
 * }).run()
 * console.log(r.completion, r.events)
 * ```
 */
export class PieceSwarm {
  readonly #o: PieceSwarmOptions
  readonly #clock = new VirtualClock()
  readonly #random: () => number
  readonly #seeders: number
  readonly #n: number
  readonly #pieceLength: number
  readonly #lastLength: number
  readonly #slots: number
  /** Blocks per request batch (a flow): a piece's, at most the swarm's smallest pipeline. */
  readonly #batch: number
  readonly #maxConnections: number
  // Per peer, seeders first (0 .. S-1), then leechers (S .. S+N-1).
  readonly #up: Float64Array
  readonly #down: Float64Array
  readonly #latency: Float64Array
  readonly #pickers: (PiecePicker | undefined)[]
  readonly #chokers: (Choker | undefined)[]
  /** Halves of the connections a peer uploads on, by neighbour. */
  readonly #out: Map<number, Half>[]
  readonly #upFlows: Flow[][]
  readonly #downFlows: Flow[][]
  readonly #seed: Uint8Array
  readonly #present: Uint8Array
  readonly #haveCount: Uint32Array
  readonly #uploaded: Float64Array
  readonly #downloaded: Float64Array
  readonly #timers: unknown[]
  readonly #timerAt: Float64Array
  readonly #lastRound: Float64Array
  /** Present peers (seeders included), for the tracker model; `#slot[p]` is p's position. */
  readonly #presentList: number[] = []
  readonly #slot: Int32Array
  /** Copies of each piece among the leechers present. */
  readonly #copies: Uint32Array
  readonly #dirty = new Set<number>()
  readonly #arriveAt: Float64Array
  readonly #firstPieceAt: Float64Array
  readonly #doneAt: Float64Array
  readonly #leftAt: Float64Array
  readonly #availability: PieceAvailability[] = []
  readonly #traced = new Map<number, [number, number][]>()
  #flows = 0
  #arrived = 0
  #done = 0
  #left = 0
  #leftUnfinished = 0
  #wasted = 0
  #pieces = 0

  constructor(options: PieceSwarmOptions) {
    const { size, pieces, leechers } = options
    if (!Number.isInteger(pieces) || pieces < 1 || size < pieces)
      throw new RangeError(`expected 1 <= pieces <= size, got ${pieces} pieces of ${size} bytes`)
    if (!Number.isInteger(leechers) || leechers < 0) throw new RangeError(`bad leecher count ${leechers}`)
    if (options.seeders.length === 0) throw new RangeError('expected at least one seeder')
    this.#o = options
    const rng = new Prng(options.seed)
    this.#random = () => rng.next()
    this.#seeders = options.seeders.length
    this.#n = leechers
    this.#pieceLength = Math.ceil(size / pieces)
    this.#lastLength = size - (pieces - 1) * this.#pieceLength
    if (this.#lastLength <= 0) throw new RangeError(`${size} bytes do not make ${pieces} pieces`)
    this.#slots = options.uploadSlots ?? DEFAULT_UPLOAD_SLOTS
    this.#batch = Math.min(MIN_PIPELINE, Math.ceil(this.#pieceLength / BLOCK_SIZE))
    this.#maxConnections = options.maxConnections ?? 50
    const p = this.#seeders + leechers
    this.#up = new Float64Array(p)
    this.#down = new Float64Array(p)
    this.#latency = new Float64Array(p)
    this.#pickers = new Array(p)
    this.#chokers = new Array(p)
    this.#out = new Array(p)
    this.#upFlows = new Array(p)
    this.#downFlows = new Array(p)
    this.#seed = new Uint8Array(p)
    this.#present = new Uint8Array(p)
    this.#haveCount = new Uint32Array(p)
    this.#uploaded = new Float64Array(p)
    this.#downloaded = new Float64Array(p)
    this.#timers = new Array(p)
    this.#timerAt = new Float64Array(p).fill(Number.POSITIVE_INFINITY)
    this.#lastRound = new Float64Array(p)
    this.#slot = new Int32Array(p).fill(-1)
    this.#copies = new Uint32Array(pieces)
    this.#arriveAt = new Float64Array(leechers).fill(Number.NaN)
    this.#firstPieceAt = new Float64Array(leechers).fill(Number.NaN)
    this.#doneAt = new Float64Array(leechers).fill(Number.NaN)
    this.#leftAt = new Float64Array(leechers).fill(Number.NaN)
    const nTraced = Math.min(leechers, options.tracedPeers ?? 20)
    for (let i = 0; i < nTraced; i++) this.#traced.set(Math.floor((i * leechers) / nTraced), [])
  }

  /** Runs the swarm until every leecher that stays has finished (or the limit); call once. */
  run(): PieceSwarmResult {
    const meter = new RunMeter()
    const o = this.#o
    const clock = this.#clock
    for (const [s, host] of o.seeders.entries()) {
      this.#join(s, host)
      this.#seed[s] = 1
      this.#haveCount[s] = o.pieces
    }
    let at = 0
    for (let i = 0; i < this.#n; i++) {
      if (o.arrivals.kind === 'poisson') at += exponential(this.#random, o.arrivals.windowMs / this.#n)
      clock.setTimeout(() => this.#arrive(i), at)
    }
    const sampler = () => {
      this.#sample()
      clock.setTimeout(sampler, o.sampleMs)
    }
    clock.setTimeout(sampler, 0)
    const limit = o.limitMs ?? 6 * 3_600_000
    let events = 0
    let nextReport = performance.now() + 1000
    let stopped: string | undefined
    const progress = (): PieceSwarmProgress => ({
      virtualMs: clock.now(),
      events,
      arrived: this.#arrived,
      done: this.#done,
      left: this.#left,
      flows: this.#flows,
      ...meter.sample(),
    })
    for (;;) {
      if (this.#arrived === this.#n && this.#done + this.#leftUnfinished === this.#n) break
      const next = clock.nextAt()
      if (next === undefined || next > limit) {
        stopped = `not done after ${limit / 1000} virtual s`
        break
      }
      clock.runNext()
      events++
      if ((events & 4095) === 0 && performance.now() >= nextReport) {
        nextReport = performance.now() + 1000
        const p = progress()
        o.onProgress?.(p)
      }
    }
    this.#sample()
    const staying: number[] = []
    for (let i = 0; i < this.#n; i++)
      if (Number.isNaN(this.#leftAt[i]!) || !Number.isNaN(this.#doneAt[i]!)) staying.push(i)
    const allDone = staying.every((i) => !Number.isNaN(this.#doneAt[i]!))
    let completion: number | undefined
    if (allDone && staying.length > 0) {
      completion = 0
      for (const i of staying) completion = Math.max(completion, this.#doneAt[i]!)
    }
    const s = this.#seeders
    let seederUploaded = 0
    for (let k = 0; k < s; k++) seederUploaded += this.#uploaded[k]!
    return {
      arriveAt: this.#arriveAt,
      firstPieceAt: this.#firstPieceAt,
      doneAt: this.#doneAt,
      leftAt: this.#leftAt,
      uploaded: this.#uploaded.slice(s),
      downloaded: this.#downloaded.slice(s),
      up: this.#up.slice(s).map((x) => x * 1000),
      down: this.#down.slice(s).map((x) => x * 1000),
      seederUploaded,
      wasted: this.#wasted,
      availability: this.#availability,
      traces: [...this.#traced].map(([peer, points]) => ({ peer, points })),
      pieces: this.#pieces,
      completion,
      ...meter.cost(events, clock.now(), stopped),
    }
  }

  /** A peer comes up: its link, choker, connection tables and choke rounds. */
  #join(p: number, host: { up: number; down: number; latencyMs: number }): void {
    this.#up[p] = host.up / 1000
    this.#down[p] = host.down / 1000
    this.#latency[p] = host.latencyMs
    this.#chokers[p] = new Choker({ slots: this.#slots, random: this.#random })
    this.#out[p] = new Map()
    this.#upFlows[p] = []
    this.#downFlows[p] = []
    this.#present[p] = 1
    this.#slot[p] = this.#presentList.length
    this.#presentList.push(p)
    this.#lastRound[p] = this.#clock.now()
    this.#clock.setTimeout(() => this.#chokeRound(p), this.#random() * CHOKE_INTERVAL_MS)
  }

  #arrive(i: number): void {
    const o = this.#o
    const p = this.#seeders + i
    this.#join(p, o.leecherLink(i, this.#random))
    this.#arriveAt[i] = this.#clock.now()
    this.#arrived++
    this.#pickers[p] = new PiecePicker({
      pieceCount: o.pieces,
      pieceLength: (k) => this.#length(k),
      random: this.#random,
    })
    if (o.churn && this.#random() < o.churn.leave) {
      this.#clock.setTimeout(
        () => {
          if (Number.isNaN(this.#doneAt[i]!)) this.#leave(p)
        },
        exponential(this.#random, o.churn.leaveMeanMs),
      )
    }
    this.#announce(p)
  }

  #length(k: number): number {
    return k === this.#o.pieces - 1 ? this.#lastLength : this.#pieceLength
  }

  /** The tracker model: up to numwant random present peers, connected while there is room. */
  #announce(p: number): void {
    if (!this.#present[p]) return
    const list = this.#presentList
    const want = Math.min(this.#o.numwant ?? 50, list.length - 1)
    for (let k = 0, got = 0; k < want * 3 && got < want; k++) {
      if (this.#out[p]!.size >= this.#maxConnections) break
      const j = list[Math.floor(this.#random() * list.length)]!
      if (j === p || this.#out[p]!.has(j)) continue
      got++
      this.#connect(p, j)
    }
    this.#flush()
    this.#clock.setTimeout(() => this.#announce(p), this.#o.announceMs ?? 120_000)
  }

  #bits(p: number): PeerPieces | 'all' {
    return this.#seed[p] ? 'all' : this.#pickers[p]!.have
  }

  #has(p: number, i: number): boolean {
    return this.#seed[p] === 1 || this.#pickers[p]!.have.get(i)
  }

  #connect(a: number, b: number): void {
    if (this.#out[b]!.size >= this.#maxConnections || (this.#seed[a] && this.#seed[b])) return
    const [ab, ba] = Half.pair(a, b)
    this.#out[a]!.set(b, ab)
    this.#out[b]!.set(a, ba)
    ab.missing = this.#countMissing(a, b)
    ba.missing = this.#countMissing(b, a)
    this.#pickers[b]?.addAvailability(this.#bits(a))
    this.#pickers[a]?.addAvailability(this.#bits(b))
    if (ab.missing > 0) this.#setInterested(ab, true)
    if (ba.missing > 0) this.#setInterested(ba, true)
  }

  /** Pieces `from` has that `to` lacks. */
  #countMissing(from: number, to: number): number {
    if (this.#seed[to]) return 0
    const lack = this.#o.pieces - this.#haveCount[to]!
    if (this.#seed[from]) return lack
    const mine = this.#pickers[to]!.have
    const theirs = this.#pickers[from]!.have
    let n = 0
    for (let i = 0; i < this.#o.pieces; i++) if (theirs.get(i) && !mine.get(i)) n++
    return n
  }

  #disconnect(a: number, b: number): void {
    const ab = this.#out[a]!.get(b)
    if (!ab) return
    const ba = ab.reverse
    for (const h of [ab, ba]) {
      h.closed = true
      h.choked = true
      h.interested = false
      if (h.flow) this.#cancel(h.flow)
    }
    this.#out[a]!.delete(b)
    this.#out[b]!.delete(a)
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const picker = this.#pickers[y]
      if (!picker) continue
      picker.removeAvailability(this.#bits(x))
      picker.releaseAll(x)
    }
    for (const x of [a, b]) {
      if (!this.#present[x]) continue
      this.#unchokeSpare(x)
      this.#retryIdle(x)
    }
  }

  #leave(p: number): void {
    if (!this.#present[p]) return
    const i = p - this.#seeders
    this.#leftAt[i] = this.#clock.now()
    this.#left++
    if (Number.isNaN(this.#doneAt[i]!)) this.#leftUnfinished++
    for (const j of [...this.#out[p]!.keys()]) this.#disconnect(p, j)
    this.#present[p] = 0
    const list = this.#presentList
    const k = this.#slot[p]!
    const moved = list.pop()!
    if (moved !== p) {
      list[k] = moved
      this.#slot[moved] = k
    }
    this.#slot[p] = -1
    for (let x = 0; x < this.#o.pieces; x++) if (this.#has(p, x)) this.#copies[x]!--
    this.#pickers[p] = undefined
    this.#chokers[p] = undefined
    this.#out[p]!.clear()
    this.#clock.clearTimeout(this.#timers[p])
    this.#flush()
  }

  #setInterested(h: Half, interested: boolean): void {
    if (h.interested === interested || h.closed) return
    h.interested = interested
    if (interested) {
      if (h.choked) this.#unchokeSpare(h.up)
      else this.#request(h)
      return
    }
    if (h.flow) this.#cancel(h.flow)
    if (!h.choked) this.#unchokeSpare(h.up)
  }

  /** Fills free upload slots with interested choked peers, those sending us the most first. */
  #unchokeSpare(u: number): void {
    let used = 0
    const waiting: Half[] = []
    for (const h of this.#out[u]!.values()) {
      if (!h.interested) continue
      if (h.choked) waiting.push(h)
      else used++
    }
    if (used >= this.#slots || waiting.length === 0) return
    waiting.sort((a, b) => b.downloadRate - a.downloadRate)
    for (const h of waiting) {
      if (used++ >= this.#slots) break
      this.#unchoke(h)
    }
  }

  #unchoke(h: Half): void {
    h.choked = false
    if (h.pending) return
    h.pending = true
    // The unchoke travels to the downloader, its request back.
    const rtt = 2 * (this.#latency[h.up]! + this.#latency[h.down]!)
    this.#clock.setTimeout(() => {
      h.pending = false
      this.#request(h)
      this.#flush()
    }, rtt)
  }

  #choke(h: Half): void {
    h.choked = true
    if (h.flow) this.#cancel(h.flow)
  }

  /** The downloader asks its picker for a batch of blocks the uploader has, and it starts flowing. */
  #request(h: Half): void {
    if (h.flow || h.pending || h.choked || !h.interested || h.closed) return
    const d = h.down
    const picker = this.#pickers[d]
    if (!picker) return
    // Endgame (every missing block requested): one block at a time, so that a duplicate costs at
    // most a block, as with the swarm's cancels. Checked only when it may be (the check scans).
    const missing = this.#o.pieces - this.#haveCount[d]!
    const endgame = missing <= this.#downFlows[d]!.length + ENDGAME_SLACK && picker.endgame
    const blocks = picker.pick(h.up, this.#bits(h.up), endgame ? 1 : this.#batch)
    if (blocks.length === 0) return
    let size = 0
    for (const b of blocks) size += b.length
    const f: Flow = { half: h, blocks, size, done: 0, rate: 0, at: this.#clock.now() }
    h.flow = f
    this.#upFlows[h.up]!.push(f)
    this.#downFlows[d]!.push(f)
    this.#flows++
    this.#touch(f)
  }

  /** Idle unchoked connections into `d` ask again (blocks went back to its picker's pool). */
  #retryIdle(d: number): void {
    for (const h of this.#out[d]!.values()) this.#request(h.reverse)
  }

  /**
   * Marks the uploaders whose rates change when `f` starts or ends (called while `f` is counted
   * among its downloader's flows): its own, and those of the downloader's other flows that are held
   * at the downloader's share, or would be at the smaller share (a flow below it stays as it is).
   */
  #touch(f: Flow): void {
    this.#dirty.add(f.half.up)
    const d = f.half.down
    const flows = this.#downFlows[d]!
    const share = (this.#down[d]! / flows.length) * (1 - 1e-9)
    for (const g of flows) if (g.rate >= share) this.#dirty.add(g.half.up)
  }

  #remove(f: Flow): void {
    this.#advance(f)
    this.#touch(f)
    const h = f.half
    h.flow = undefined
    removeItem(this.#upFlows[h.up]!, f)
    removeItem(this.#downFlows[h.down]!, f)
    this.#flows--
  }

  #advance(f: Flow): void {
    const now = this.#clock.now()
    const bytes = Math.min(f.rate * (now - f.at), f.size - f.done)
    f.at = now
    if (bytes <= 0) return
    f.done += bytes
    f.half.sent += bytes
    this.#uploaded[f.half.up]! += bytes
    this.#downloaded[f.half.down]! += bytes
  }

  /** A flow's last byte arrived: its blocks are received, and the next batch starts (pipelined). */
  #finish(f: Flow): void {
    this.#remove(f)
    const h = f.half
    for (const b of f.blocks) this.#arrival(h.down, h.up, b)
    this.#request(h)
  }

  /** A flow stops before its end: blocks fully sent are received, the rest go back to the pool. */
  #cancel(f: Flow): void {
    this.#remove(f)
    const h = f.half
    let sent = 0
    for (const b of f.blocks) {
      if (sent + b.length > f.done + EPSILON) break
      sent += b.length
      this.#arrival(h.down, h.up, b)
    }
    this.#wasted += f.done - sent
    this.#pickers[h.down]?.releaseAll(h.up)
    if (this.#present[h.down]) this.#retryIdle(h.down)
  }

  #arrival(d: number, u: number, b: BlockRequest): void {
    const picker = this.#pickers[d]
    const a = picker?.received(u, b.index, b.begin, b.length)
    if (!a?.accepted) {
      this.#wasted += b.length
      return
    }
    for (const o of a.cancel) this.#dropBlock(o as number, d, b)
    if (a.pieceComplete) this.#pieceDone(d, b.index)
  }

  /**
   * Endgame: another peer's copy of block `b` arrived first, and `d` cancels it with `o`: a flow of
   * that block alone stops (what it sent is wasted), a batch leaves it out unless it is being sent.
   */
  #dropBlock(o: number, d: number, b: BlockRequest): void {
    const f = this.#out[o]?.get(d)?.flow
    if (!f) return
    this.#advance(f)
    let start = 0
    for (let k = 0; k < f.blocks.length; k++) {
      const x = f.blocks[k]!
      if (x.index === b.index && x.begin === b.begin) {
        if (f.blocks.length === 1) this.#cancel(f)
        else if (start >= f.done) {
          f.blocks.splice(k, 1)
          f.size -= x.length
          this.#dirty.add(o)
        }
        return
      }
      start += x.length
    }
  }

  #pieceDone(d: number, i: number): void {
    const picker = this.#pickers[d]!
    picker.verified(i)
    this.#haveCount[d]!++
    this.#copies[i]!++
    this.#pieces++
    const li = d - this.#seeders
    if (Number.isNaN(this.#firstPieceAt[li]!)) this.#firstPieceAt[li] = this.#clock.now()
    for (const [j, h] of this.#out[d]!) {
      const theirs = this.#pickers[j]
      if (theirs) {
        theirs.addHave(i)
        if (!theirs.have.get(i)) {
          h.missing++
          if (h.missing === 1) this.#setInterested(h, true)
          else this.#request(h)
        }
      }
      if (this.#has(j, i)) {
        const r = h.reverse
        r.missing--
        if (r.missing === 0) this.#setInterested(r, false)
      }
    }
    if (this.#haveCount[d] === this.#o.pieces) this.#complete(d)
  }

  /** A leecher has every piece: it seeds (for a while under churn), and drops its connections to seeds. */
  #complete(d: number): void {
    const o = this.#o
    const i = d - this.#seeders
    this.#doneAt[i] = this.#clock.now()
    this.#done++
    this.#seed[d] = 1
    // A seed needs no picker: neighbours' counts of its pieces stay right (it has all of them).
    this.#pickers[d] = undefined
    for (const f of [...this.#downFlows[d]!]) this.#cancel(f)
    this.#clock.setTimeout(() => {
      for (const j of [...(this.#out[d]?.keys() ?? [])]) if (this.#seed[j]) this.#disconnect(d, j)
      this.#flush()
    }, 0)
    if (o.churn) this.#clock.setTimeout(() => this.#leave(d), exponential(this.#random, o.churn.seedMeanMs))
  }

  /** One choke round of `u`: the real `Choker` on the rates measured since the last one. */
  #chokeRound(u: number): void {
    if (!this.#present[u]) return
    const now = this.#clock.now()
    const seconds = Math.max(1, now - this.#lastRound[u]!) / 1000
    this.#lastRound[u] = now
    for (const f of this.#upFlows[u]!) this.#advance(f)
    for (const f of this.#downFlows[u]!) this.#advance(f)
    const halves = [...this.#out[u]!.values()]
    for (const h of halves) {
      h.uploadRate = (h.sent - h.upMark) / seconds
      h.upMark = h.sent
      const r = h.reverse
      h.downloadRate = (r.sent - r.downMark) / seconds
      r.downMark = r.sent
    }
    const unchoke = this.#chokers[u]!.round(halves, this.#seed[u] === 1)
    for (const h of halves) {
      if (unchoke.has(h)) {
        if (h.choked) this.#unchoke(h)
      } else if (!h.choked) this.#choke(h)
    }
    this.#flush()
    this.#clock.setTimeout(() => this.#chokeRound(u), CHOKE_INTERVAL_MS)
  }

  /** Re-rates the flows of every uploader marked since the last flush. */
  #flush(): void {
    for (const u of this.#dirty) this.#rate(u)
    this.#dirty.clear()
  }

  #rate(u: number): void {
    const flows = this.#upFlows[u]
    if (!flows || flows.length === 0) return
    for (const f of flows) this.#advance(f)
    const down = this.#down
    const incoming = this.#downFlows
    shareUplink(flows, this.#up[u]!, (f) => down[f.half.down]! / incoming[f.half.down]!.length)
    const now = this.#clock.now()
    let next = Number.POSITIVE_INFINITY
    for (const f of flows) if (f.rate > 0) next = Math.min(next, now + (f.size - f.done) / f.rate)
    // An earlier timer stays: it finds nothing done and sets the next one.
    if (next >= this.#timerAt[u]!) return
    this.#clock.clearTimeout(this.#timers[u])
    this.#timerAt[u] = next
    this.#timers[u] = this.#clock.setTimeout(() => this.#wake(u), next - now)
  }

  /** `u`'s timer: flows whose last byte left end. */
  #wake(u: number): void {
    this.#timerAt[u] = Number.POSITIVE_INFINITY
    this.#timers[u] = undefined
    const flows = this.#upFlows[u]!
    for (const f of [...flows]) {
      this.#advance(f)
      if (f.half.flow === f && f.size - f.done <= EPSILON) this.#finish(f)
    }
    this.#dirty.add(u)
    this.#flush()
  }

  #sample(): void {
    const t = this.#clock.now()
    let k = 0
    for (const p of this.#presentList) if (p >= this.#seeders) k++
    if (k > 0) this.#availability.push(availabilityOf(t, this.#copies, k))
    for (const [i, pts] of this.#traced) {
      const p = this.#seeders + i
      if (this.#present[p]) pts.push([t, this.#haveCount[p]! / this.#o.pieces])
    }
  }
}

function removeItem<T>(xs: T[], x: T): void {
  const k = xs.indexOf(x)
  if (k >= 0) xs.splice(k, 1)
}
