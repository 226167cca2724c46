import type { PeerAddress } from '@p2p/peer-address'
import { MemoryStorage, Prng, type RunCost, RunMeter, SimNetwork, simTorrent, VirtualClock } from '@p2p/sim'
import { Client, type StorageOptions, type Torrent } from '@p2p/swarm'
import { LabError } from '../errors.js'
import type { HostCaps } from '../netns.js'
import { exponential } from '../random.js'
import { type DrawnLink, drawLink, type LinkModel } from './capacities.js'

/** How leechers arrive: all at once (a flash crowd) or as a Poisson process. */
export type Arrivals = 'flash' | 'poisson'

/**
 * Which simulation ran a swarm: `wire`, a full `@p2p/swarm` client per peer on in-memory links
 * ({@link simulateSwarm}); `piece`, `@p2p/sim`'s piece-level model (`simulatePieceSwarm`).
 */
export type SimModel = 'wire' | 'piece'

/** One simulated swarm: what {@link simulateSwarm} runs. */
export interface SimSwarmSpec {
  run: string
  /** Everything random in the run is drawn from it. */
  seed: number
  leechers: number
  seeders: number
  /** File size the run stands for, bytes. */
  size: number
  /** Pieces of the file (each carried as one 16 KiB block: see {@link SIM_BLOCK}). */
  pieces: number
  arrivals: Arrivals
  /** Poisson arrivals: the mean time over which all leechers arrive, ms. */
  arrivalWindowMs?: number
  /** Arrival time of each leecher, ms (replaces `arrivals` for those given: an emulated run's timeline). */
  arrivalTimes?: readonly number[]
  /** Leechers' links: drawn from a model, or the same caps for all (bytes/s, the lab's units). */
  links: LinkModel | { caps: HostCaps; latencyMs: number }
  /** Seeders' links (default: 5 Mbit/s up, 10 Mbit/s down, 20 ms). */
  seederLink?: DrawnLink
  /**
   * Churn: each leecher leaves unfinished with probability `leave` (at an exponential time with mean
   * `leaveMeanMs` after it arrived), and a finished one seeds for an exponential time of mean
   * `seedMeanMs` before it leaves.
   */
  churn?: { leave: number; leaveMeanMs: number; seedMeanMs: number }
  /** Peer connections per peer (default 50, the swarm's default). */
  maxConnections?: number
  /** Peer exchange between the clients (default true; its messages cost events in large swarms). */
  pex?: boolean
  /** Peers the tracker returns per announce (default 50). */
  numwant?: number
  /** Virtual interval between a peer's announces, ms (default 120 000). */
  announceMs?: number
  /** Give up after this much virtual time, ms (default 6 h). */
  limitMs?: number
  /** Availability is sampled every this much virtual time, ms (default 1 % of the fluid bound). */
  sampleMs: number
  /** Called about every second of wall time while it runs. */
  onProgress?: (p: SimProgress) => void
  /** Peers whose progress is kept as a time series (default 20, evenly spread). */
  tracedPeers?: number
}

/** A running simulation's state, for progress lines. */
export interface SimProgress {
  run: string
  virtualMs: number
  events: number
  arrived: number
  done: number
  left: number
  wallMs: number
  heapMB: number
  /** Resident set size of the process, MB. */
  rssMB: number
  /** Real bytes queued on the simulated links, MB (wire model). */
  inFlightMB: number
  /** Transfers under way (piece-level model). */
  flows?: number
}

/** Copies of pieces among the leechers present, at one time. */
export interface SimAvailability {
  t: number
  present: number
  /** Fewest, mean and most copies of a piece, over the leechers present (fractions 0..1). */
  min: number
  mean: number
  max: number
}

/** What one simulated swarm produced (times in virtual ms from the swarm's zero). */
export interface SimSwarmResult extends RunCost {
  run: string
  model: SimModel
  spec: Omit<SimSwarmSpec, 'onProgress'>
  /** Virtual bytes a real byte of the run stands for. */
  scale: number
  arriveAt: Float64Array
  firstPieceAt: Float64Array
  doneAt: Float64Array
  leftAt: Float64Array
  /** Virtual bytes uploaded per leecher. */
  uploaded: Float64Array
  /** Virtual bytes the seeders uploaded, together. */
  seederUploaded: number
  /** Drawn upload and download capacities per leecher, bytes/s (virtual). */
  up: Float64Array
  down: Float64Array
  seederUp: number
  availability: SimAvailability[]
  /** Progress of a few leechers over time: [t, fraction]. */
  traces: { peer: number; points: [number, number][] }[]
  /**
   * Distinct pieces the leechers received and verified against the torrent's SHA-1 (summed over the
   * leechers), and pieces that failed the check: the integrity of every simulated download.
   */
  verifiedPieces: number
  failedPieces: number
  /** Bytes received twice or cut off (piece-level model: endgame duplicates, blocks cut by a choke). */
  wasted?: number
  /** Last time a staying leecher finished (undefined when one did not). */
  completion?: number
}

/** Requests the swarm keeps open per connection at the least (its `MIN_PIPELINE`), 16 KiB blocks. */
const MIN_PIPELINE = 16
/** Real bytes of a piece in the simulation: one block. Every piece of the file is carried as one. */
export const SIM_BLOCK = 16_384
const PORT = 6881
/** The wire's default time to answer a request, ms (stretched by the scale). */
const REQUEST_TIMEOUT_MS = 60_000
/** Pieces each simulated peer keeps read for uploads. */
const READ_CACHE_PIECES = 4
/**
 * Most time between two ticks of a simulated wire, ms. A wire's tick only checks its timeouts (a
 * simulated peer that leaves closes its connections, so none is needed to notice it): one event per
 * wire per 30 virtual s instead of per second, the largest share of a large swarm's events.
 */
const TICK_MS = 30_000
/** Time a simulated wire gives a handshake (its tick is at most a quarter of it), ms. */
const HANDSHAKE_TIMEOUT_MS = 4 * TICK_MS
/** Seeders' link when the spec gives none: 5 Mbit/s up, 10 Mbit/s down, 20 ms. */
export const DEFAULT_SEEDER_LINK: DrawnLink = {
  latencyMs: 20,
  loss: 0,
  bytesPerSecond: 625_000,
  downBytesPerSecond: 1_250_000,
}

interface SimPeer {
  addr: PeerAddress
  client?: Client
  torrent?: Torrent
  have?: Uint8Array
  present: boolean
}

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
  const meter = new RunMeter()
  const rng = new Prng(spec.seed)
  const random = () => rng.next()
  const clock = new VirtualClock()
  const net = new SimNetwork(clock)
  const scale = spec.size / spec.pieces / SIM_BLOCK
  const content = rng.bytes(spec.pieces * SIM_BLOCK)
  const torrent = simTorrent(content, SIM_BLOCK)
  const n = spec.leechers
  const arriveAt = new Float64Array(n)
  const firstPieceAt = new Float64Array(n).fill(Number.NaN)
  const doneAt = new Float64Array(n).fill(Number.NaN)
  const leftAt = new Float64Array(n).fill(Number.NaN)
  const uploaded = new Float64Array(n)
  const up = new Float64Array(n)
  const down = new Float64Array(n)
  const copies = new Uint32Array(spec.pieces)
  const availability: SimAvailability[] = []
  const traced = new Map<number, [number, number][]>()
  const nTraced = Math.min(n, spec.tracedPeers ?? 20)
  for (let i = 0; i < nTraced; i++) traced.set(Math.floor((i * n) / nTraced), [])
  let seederUploaded = 0
  let verifiedPieces = 0
  let failedPieces = 0
  let arrived = 0
  let done = 0
  let left = 0
  let leftUnfinished = 0
  const present: number[] = []
  const seeders: SimPeer[] = []
  const leechers: SimPeer[] = []
  const addrOf = (i: number): PeerAddress => ({
    host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: PORT,
  })

  const setLink = (host: string, link: DrawnLink) =>
    net.setLink(host, {
      latencyMs: link.latencyMs,
      bytesPerSecond: link.bytesPerSecond / scale,
      downBytesPerSecond: link.downBytesPerSecond / scale,
    })
  const start = async (p: SimPeer, seed: boolean) => {
    const client = new Client({
      host: p.addr.host,
      port: p.addr.port,
      peerId: rng.bytes(20),
      encryption: 'disabled',
      runtime: {
        clock,
        random,
        transport: net.transport(p.addr.host),
        storage: (o: StorageOptions) => new MemoryStorage(o, seed ? content : undefined, content),
        prepareDir: async () => {},
        checks: false,
        // Uploads read from one shared buffer: a piece cache per peer would hold the whole file each.
        readCacheBytes: READ_CACHE_PIECES * SIM_BLOCK,
        wire: {
          // Every byte stands for `scale` bytes, so every block takes `scale` times as long.
          requestTimeout: REQUEST_TIMEOUT_MS * Math.max(1, scale),
          messageTimeout: REQUEST_TIMEOUT_MS * Math.max(1, scale),
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
          tickInterval: TICK_MS,
          // A pipeline of as many real bytes as the swarm's 16 real blocks (a scaled block stands for
          // `scale` of them), at least 2: scaled blocks otherwise queue `scale` times as long.
          maxRequests: Math.max(2, Math.ceil(MIN_PIPELINE / scale)),
        },
      },
    })
    p.client = client
    p.torrent = await client.add(torrent.metainfo, {
      path: '/sim',
      resume: false,
      maxConnections: spec.maxConnections ?? 50,
      pex: spec.pex ?? true,
    })
    p.present = true
  }
  /** The tracker model: up to numwant random present peers (seeders included), not `self`. */
  const announce = (self: number) => {
    const p = leechers[self]!
    if (!p.present || !p.torrent) return
    const others = present.length + seeders.length
    const want = Math.min(spec.numwant ?? 50, others)
    const picked = new Set<number>()
    for (let k = 0; k < want * 3 && picked.size < want; k++) picked.add(Math.floor(random() * others))
    for (const j of picked) {
      const other = j < seeders.length ? seeders[j]! : leechers[present[j - seeders.length]!]!
      if (other !== p) p.torrent.addPeer(other.addr, 'tracker')
    }
    clock.setTimeout(() => announce(self), spec.announceMs ?? 120_000)
  }
  const leave = (i: number) => {
    const p = leechers[i]!
    if (!p.present) return
    p.present = false
    leftAt[i] = clock.now()
    left++
    if (Number.isNaN(doneAt[i]!)) leftUnfinished++
    uploaded[i] = (p.torrent?.stats().uploaded ?? 0) * scale
    const k = present.indexOf(i)
    if (k >= 0) present.splice(k, 1)
    if (p.have) for (let x = 0; x < spec.pieces; x++) copies[x]! -= p.have[x]!
    p.have = undefined
    void p.client?.close()
  }
  const arrive = async (i: number) => {
    const p = leechers[i]!
    let link: DrawnLink
    if ('caps' in spec.links) {
      const { caps, latencyMs } = spec.links
      link = { latencyMs, loss: 0, bytesPerSecond: caps.up, downBytesPerSecond: caps.down }
    } else link = drawLink(spec.links, random)
    up[i] = link.bytesPerSecond
    down[i] = link.downBytesPerSecond
    setLink(p.addr.host, link)
    arriveAt[i] = clock.now()
    arrived++
    p.have = new Uint8Array(spec.pieces)
    await start(p, false)
    present.push(i)
    const t = p.torrent!
    t.on('piece', (e) => {
      if (!e.ok) failedPieces++
      if (!e.ok || !p.have || p.have[e.index]) return
      verifiedPieces++
      p.have[e.index] = 1
      copies[e.index]!++
      if (Number.isNaN(firstPieceAt[i]!)) firstPieceAt[i] = clock.now()
    })
    t.on('done', () => {
      doneAt[i] = clock.now()
      done++
      if (spec.churn) clock.setTimeout(() => leave(i), exponential(random, spec.churn.seedMeanMs))
    })
    if (spec.churn && random() < spec.churn.leave) {
      clock.setTimeout(
        () => {
          if (Number.isNaN(doneAt[i]!)) leave(i)
        },
        exponential(random, spec.churn.leaveMeanMs),
      )
    }
    announce(i)
  }

  const seederLink = spec.seederLink ?? DEFAULT_SEEDER_LINK
  for (let s = 0; s < spec.seeders; s++) {
    const p: SimPeer = { addr: addrOf(s + 1), present: false }
    setLink(p.addr.host, seederLink)
    seeders.push(p)
    await start(p, true)
  }
  const settle = () => new Promise<void>((r) => setImmediate(r))
  // The swarm's zero: every seeder has checked its copy and serves.
  for (let k = 0; seeders.some((s) => !s.torrent?.complete); k++) {
    if (k > 10_000) throw new LabError('LAB_TIMEOUT', 'the simulated seeders did not get ready')
    await settle()
  }
  for (let i = 0; i < n; i++) leechers.push({ addr: addrOf(spec.seeders + 1 + i), present: false })
  let at = 0
  const window = spec.arrivalWindowMs ?? 0
  for (let i = 0; i < n; i++) {
    if (spec.arrivals === 'poisson') at += exponential(random, window / n)
    clock.setTimeout(() => void arrive(i), spec.arrivalTimes?.[i] ?? at)
  }
  const sample = () => {
    const t = clock.now()
    const k = present.length
    if (k > 0) {
      let min = Number.POSITIVE_INFINITY
      let max = 0
      let sum = 0
      for (const c of copies) {
        min = Math.min(min, c)
        max = Math.max(max, c)
        sum += c
      }
      availability.push({ t, present: k, min: min / k, mean: sum / spec.pieces / k, max: max / k })
    }
    for (const [i, pts] of traced) {
      const have = leechers[i]?.have
      if (have) pts.push([t, have.reduce((a, b) => a + b, 0) / spec.pieces])
    }
  }
  const sampler = () => {
    sample()
    clock.setTimeout(sampler, spec.sampleMs)
  }
  clock.setTimeout(sampler, 0)

  const limit = spec.limitMs ?? 6 * 3_600_000
  let events = 0
  let nextReport = performance.now() + 1000
  let stopped: string | undefined
  const progress = (): SimProgress => ({
    run: spec.run,
    virtualMs: clock.now(),
    events,
    arrived,
    done,
    left,
    ...meter.sample(),
    inFlightMB: net.inFlight / 2 ** 20,
  })
  for (;;) {
    if (arrived === n && done + leftUnfinished === n) break
    const next = clock.nextAt()
    if (next === undefined) {
      stopped = 'nothing left to run (a stall)'
      break
    }
    if (next > limit) {
      stopped = `not done after ${limit / 1000} virtual s`
      break
    }
    clock.runNext()
    events++
    await settle()
    if ((events & 1023) === 0 && performance.now() >= nextReport) {
      nextReport = performance.now() + 1000
      spec.onProgress?.(progress())
    }
  }
  sample()
  for (const [i, p] of leechers.entries())
    if (p.present) uploaded[i] = (p.torrent?.stats().uploaded ?? 0) * scale
  for (const s of seeders) seederUploaded += (s.torrent?.stats().uploaded ?? 0) * scale
  const cost = meter.cost(events, clock.now(), stopped)
  await Promise.all([...seeders, ...leechers].map((p) => (p.present ? p.client?.close() : undefined)))
  const staying = [...doneAt.keys()].filter((i) => Number.isNaN(leftAt[i]!) || !Number.isNaN(doneAt[i]!))
  const allDone = staying.every((i) => !Number.isNaN(doneAt[i]!))
  const { onProgress: _onProgress, ...kept } = spec
  return {
    run: spec.run,
    model: 'wire',
    spec: kept,
    scale,
    arriveAt,
    firstPieceAt,
    doneAt,
    leftAt,
    uploaded,
    seederUploaded,
    up,
    down,
    seederUp: seederLink.bytesPerSecond,
    availability,
    traces: [...traced].map(([peer, points]) => ({ peer, points })),
    verifiedPieces,
    failedPieces,
    completion: allDone && staying.length ? Math.max(...staying.map((i) => doneAt[i]!)) : undefined,
    ...cost,
  }
}
