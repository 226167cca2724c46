import type { PeerAddress } from '@p2p/peer-address'
import { Prng, RunMeter, SimNetwork, simTorrent, VirtualClock } from '@p2p/sim'
import type { Client, Torrent } from '@p2p/swarm'
import { LabError } from '../errors.js'
import { exponential } from '../random.js'
import { type DrawnLink, drawLink } from './capacities.js'
import { type SimClientWorld, simClient } from './sim-client.js'
import {
  DEFAULT_SEEDER_LINK,
  SIM_BLOCK,
  type SimProgress,
  type SimSwarmResult,
  type SimSwarmSpec,
} from './sim-swarm-types.js'
import { SwarmTally } from './swarm-tally.js'

const PORT = 6881
/** Settling rounds the seeders may take to check their copy and serve. */
const SEEDER_READY_ROUNDS = 10_000

interface SimPeer {
  addr: PeerAddress
  client?: Client
  torrent?: Torrent
  have?: Uint8Array
  present: boolean
}

/** Lets every promise the last event resolved run (the clients' async work between events). */
const settle = () => new Promise<void>((r) => setImmediate(r))

/**
 * Runs one swarm of real `@p2p/swarm` clients on `@p2p/sim`'s virtual clock and in-memory links:
 * seeders, then leechers arriving as a flash crowd or a Poisson process, finding each other through a
 * tracker model (each announce returns up to `numwant` random present peers, handed to
 * `torrent.addPeer` as a tracker's answer would be), optionally with churn. The file is scaled: each
 * piece travels as one 16 KiB block and every link's rates are divided by the scale, so times are those
 * of the full-size file while only `pieces x 16 KiB` real bytes move per peer (control messages are
 * slowed by the same scale: a HAVE to each of 50 peers costs 2.7 % of a piece's time instead of 0.2 %).
 * All peers read one shared copy of the content.
 */
export async function simulateSwarm(spec: SimSwarmSpec): Promise<SimSwarmResult> {
  const swarm = new WireSwarm(spec)
  await swarm.startSeeders()
  swarm.scheduleArrivals()
  swarm.startSampling()
  await swarm.run()
  return await swarm.finish()
}

/** One simulated swarm of full clients (see {@link simulateSwarm}); each step is called once, in order. */
class WireSwarm {
  readonly #spec: SimSwarmSpec
  readonly #meter = new RunMeter()
  readonly #rng: Prng
  readonly #world: SimClientWorld
  readonly #torrent: ReturnType<typeof simTorrent>
  readonly #tally: SwarmTally
  readonly #seederLink: DrawnLink
  readonly #seeders: SimPeer[] = []
  readonly #leechers: SimPeer[] = []
  /** Indices of the leechers present, in arrival order. */
  readonly #present: number[] = []
  #events = 0
  #stopped?: string

  constructor(spec: SimSwarmSpec) {
    this.#spec = spec
    const rng = new Prng(spec.seed)
    const clock = new VirtualClock()
    const scale = spec.size / spec.pieces / SIM_BLOCK
    const content = rng.bytes(spec.pieces * SIM_BLOCK)
    this.#rng = rng
    this.#world = { clock, random: () => rng.next(), net: new SimNetwork(clock), content, scale }
    this.#torrent = simTorrent(content, SIM_BLOCK)
    this.#tally = new SwarmTally(spec.leechers, spec.pieces, spec.tracedPeers)
    this.#seederLink = spec.seederLink ?? DEFAULT_SEEDER_LINK
  }

  /** Starts the seeders and waits until every one has checked its copy and serves: the swarm's zero. */
  async startSeeders(): Promise<void> {
    const spec = this.#spec
    for (let s = 0; s < spec.seeders; s++) {
      const p: SimPeer = { addr: addressOf(s + 1), present: false }
      this.#setLink(p.addr.host, this.#seederLink)
      this.#seeders.push(p)
      await this.#start(p, true)
    }
    for (let k = 0; this.#seeders.some((s) => !s.torrent?.complete); k++) {
      if (k > SEEDER_READY_ROUNDS)
        throw new LabError('LAB_TIMEOUT', 'the simulated seeders did not get ready')
      await settle()
    }
  }

  /** Schedules each leecher's arrival: its given time, else all at once or a Poisson process. */
  scheduleArrivals(): void {
    const spec = this.#spec
    const n = spec.leechers
    for (let i = 0; i < n; i++) this.#leechers.push({ addr: addressOf(spec.seeders + 1 + i), present: false })
    let at = 0
    const window = spec.arrivalWindowMs ?? 0
    for (let i = 0; i < n; i++) {
      if (spec.arrivals === 'poisson') at += exponential(this.#world.random, window / n)
      this.#world.clock.setTimeout(() => void this.#arrive(i), spec.arrivalTimes?.[i] ?? at)
    }
  }

  /** Samples availability every `sampleMs` of virtual time, from now on. */
  startSampling(): void {
    const sampler = () => {
      this.#sample()
      this.#world.clock.setTimeout(sampler, this.#spec.sampleMs)
    }
    this.#world.clock.setTimeout(sampler, 0)
  }

  /** Runs events until every leecher finished or left unfinished, a stall, or the virtual time limit. */
  async run(): Promise<void> {
    const { clock } = this.#world
    const limit = this.#spec.limitMs ?? 6 * 3_600_000
    let nextReport = performance.now() + 1000
    for (;;) {
      if (this.#tally.finished()) break
      const next = clock.nextAt()
      if (next === undefined) {
        this.#stopped = 'nothing left to run (a stall)'
        break
      }
      if (next > limit) {
        this.#stopped = `not done after ${limit / 1000} virtual s`
        break
      }
      clock.runNext()
      this.#events++
      await settle()
      if ((this.#events & 1023) === 0 && performance.now() >= nextReport) {
        nextReport = performance.now() + 1000
        this.#spec.onProgress?.(this.#progress())
      }
    }
  }

  /** The last sample and every upload counted, the clients closed: the run's result. */
  async finish(): Promise<SimSwarmResult> {
    const { clock, scale } = this.#world
    const tally = this.#tally
    this.#sample()
    for (const [i, p] of this.#leechers.entries())
      if (p.present) tally.uploaded[i] = (p.torrent?.stats().uploaded ?? 0) * scale
    let seederUploaded = 0
    for (const s of this.#seeders) seederUploaded += (s.torrent?.stats().uploaded ?? 0) * scale
    const cost = this.#meter.cost(this.#events, clock.now(), this.#stopped)
    await Promise.all(
      [...this.#seeders, ...this.#leechers].map((p) => (p.present ? p.client?.close() : undefined)),
    )
    const { onProgress: _onProgress, ...kept } = this.#spec
    return {
      run: kept.run,
      model: 'wire',
      spec: kept,
      scale,
      arriveAt: tally.arriveAt,
      firstPieceAt: tally.firstPieceAt,
      doneAt: tally.doneAt,
      leftAt: tally.leftAt,
      uploaded: tally.uploaded,
      seederUploaded,
      up: tally.up,
      down: tally.down,
      seederUp: this.#seederLink.bytesPerSecond,
      availability: tally.availability,
      traces: tally.traces(),
      verifiedPieces: tally.verifiedPieces,
      failedPieces: tally.failedPieces,
      completion: tally.completion(),
      ...cost,
    }
  }

  #setLink(host: string, link: DrawnLink): void {
    const { net, scale } = this.#world
    net.setLink(host, {
      latencyMs: link.latencyMs,
      bytesPerSecond: link.bytesPerSecond / scale,
      downBytesPerSecond: link.downBytesPerSecond / scale,
    })
  }

  /** Starts peer `p`'s client and adds the torrent (a seeder's storage holds the file). */
  async #start(p: SimPeer, seed: boolean): Promise<void> {
    const client = simClient(this.#world, p.addr, this.#rng.bytes(20), seed)
    p.client = client
    p.torrent = await client.add(this.#torrent.metainfo, {
      path: '/sim',
      resume: false,
      maxConnections: this.#spec.maxConnections ?? 50,
      pex: this.#spec.pex ?? true,
    })
    p.present = true
  }

  /** Leecher `i` arrives: its link, its client, what it is told to count, churn, its first announce. */
  async #arrive(i: number): Promise<void> {
    const tally = this.#tally
    const p = this.#leechers[i]!
    const link = this.#leecherLink()
    tally.up[i] = link.bytesPerSecond
    tally.down[i] = link.downBytesPerSecond
    this.#setLink(p.addr.host, link)
    tally.arriveAt[i] = this.#world.clock.now()
    tally.arrived++
    p.have = new Uint8Array(this.#spec.pieces)
    await this.#start(p, false)
    this.#present.push(i)
    this.#follow(i, p)
    const { churn } = this.#spec
    if (churn && this.#world.random() < churn.leave) {
      this.#world.clock.setTimeout(
        () => {
          if (Number.isNaN(tally.doneAt[i]!)) this.#leave(i)
        },
        exponential(this.#world.random, churn.leaveMeanMs),
      )
    }
    this.#announce(i)
  }

  /** A leecher's link: the spec's caps, or drawn from its link model. */
  #leecherLink(): DrawnLink {
    const links = this.#spec.links
    if (!('caps' in links)) return drawLink(links, this.#world.random)
    const { caps, latencyMs } = links
    return { latencyMs, loss: 0, bytesPerSecond: caps.up, downBytesPerSecond: caps.down }
  }

  /** Counts leecher `i`'s pieces and completion; with churn, a finished leecher seeds a while. */
  #follow(i: number, p: SimPeer): void {
    const { clock, random } = this.#world
    const tally = this.#tally
    const t = p.torrent!
    t.on('piece', (e) => tally.piece(i, e.index, e.ok, p.have, clock.now()))
    t.on('done', () => {
      tally.doneAt[i] = clock.now()
      tally.done++
      const { churn } = this.#spec
      if (churn) clock.setTimeout(() => this.#leave(i), exponential(random, churn.seedMeanMs))
    })
  }

  /** The tracker model: up to numwant random present peers (seeders included), not `self`. */
  #announce(self: number): void {
    const p = this.#leechers[self]!
    if (!p.present || !p.torrent) return
    const seeders = this.#seeders
    const others = this.#present.length + seeders.length
    const want = Math.min(this.#spec.numwant ?? 50, others)
    const picked = new Set<number>()
    for (let k = 0; k < want * 3 && picked.size < want; k++)
      picked.add(Math.floor(this.#world.random() * others))
    for (const j of picked) {
      const other = j < seeders.length ? seeders[j]! : this.#leechers[this.#present[j - seeders.length]!]!
      if (other !== p) p.torrent.addPeer(other.addr, 'tracker')
    }
    this.#world.clock.setTimeout(() => this.#announce(self), this.#spec.announceMs ?? 120_000)
  }

  /** Leecher `i` leaves (finished or not): its pieces and uploads are counted, its client closed. */
  #leave(i: number): void {
    const p = this.#leechers[i]!
    if (!p.present) return
    p.present = false
    const uploaded = (p.torrent?.stats().uploaded ?? 0) * this.#world.scale
    this.#tally.leave(i, this.#world.clock.now(), uploaded, p.have)
    const k = this.#present.indexOf(i)
    if (k >= 0) this.#present.splice(k, 1)
    p.have = undefined
    void p.client?.close()
  }

  #sample(): void {
    this.#tally.sample(this.#world.clock.now(), this.#present.length, (i) => this.#leechers[i]?.have)
  }

  #progress(): SimProgress {
    const tally = this.#tally
    return {
      run: this.#spec.run,
      virtualMs: this.#world.clock.now(),
      events: this.#events,
      arrived: tally.arrived,
      done: tally.done,
      left: tally.left,
      ...this.#meter.sample(),
      inFlightMB: this.#world.net.inFlight / 2 ** 20,
    }
  }
}

/** Address of simulated host `i`: 10.x.y.z from its index. */
function addressOf(i: number): PeerAddress {
  return { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: PORT }
}
