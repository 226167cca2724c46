import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { labEnvironment, writeReportFiles } from '../environment.js'
import { LabError } from '../errors.js'
import { EventLog } from '../event-log.js'
import { renderReport } from '../report/html.js'
import type { ScenarioResult } from '../scenario.js'
import { DEFAULT_LINK_MODEL, type LinkModel, MEASURED_CAPACITIES } from './capacities.js'
import { simulationResult } from './sim-charts.js'
import { simulatePieceSwarm } from './sim-pieces.js'
import { simulateSwarm } from './sim-swarm.js'
import {
  type Arrivals,
  SIM_BLOCK,
  type SimModel,
  type SimProgress,
  type SimSwarmResult,
} from './sim-swarm-types.js'

/** Options of {@link runSimulation}. */
export interface SimulationOptions {
  /** Leecher counts (default 100, 1000, 10000). */
  peers?: number[]
  /** File size the runs stand for, bytes (default 4 MiB). */
  size?: number
  /**
   * Pieces of the file, each carried as one 16 KiB block (`SIM_BLOCK`) standing for size / pieces
   * bytes. Default size / 16 KiB (every block real) up to {@link DEFAULT_SIM_PIECES}: a 64 MiB file
   * travels as 256 pieces of 256 KiB, the piece size a client picks for it, and each peer moves
   * 4 MiB of real bytes. The wires' request pipeline is shortened by the same factor (see
   * `simulateSwarm`), so a slow uploader's queue holds as many virtual bytes as with real blocks.
   */
  pieces?: number
  /** Arrival processes, each run for every N (default both: flash crowd, Poisson with churn). */
  arrivals?: Arrivals[]
  /** Seeder counts of the speed-against-seeders runs, at each N (default 1, 2, 4, 8). */
  seeders?: number[]
  /**
   * Connections per peer, and peers the tracker model returns per announce (default 50, and 30 from
   * {@link LARGE_SWARM} leechers on).
   */
  connections?: number
  /** Peer exchange between the clients (default: on below {@link LARGE_SWARM} leechers; wire model only). */
  pex?: boolean
  /**
   * Which simulation runs each N: `wire` (a full client per peer), `piece` (the piece-level model),
   * or `auto` (default): the piece-level model above {@link PIECE_MODEL_ABOVE} leechers.
   */
  model?: 'auto' | SimModel
  /** Seed of every draw (default 1). */
  seed?: number
  /** Link model (default {@link DEFAULT_LINK_MODEL}). */
  links?: LinkModel
  /** Output directory (default ./lab-out). */
  out?: string
  /** The command line shown in the report's environment block. */
  command?: string
  /** Also print report.pdf with headless Chromium (default true). */
  pdf?: boolean
  /** Progress lines while it runs. */
  onNote?: (line: string) => void
  /** Result lines as they are known. */
  onLine?: (line: string) => void
}

/** What {@link runSimulation} produced. */
export interface SimulationResult {
  result: ScenarioResult
  runs: SimSwarmResult[]
  reportPath: string
  pdfPath?: string
  eventsPath: string
  lines: string[]
}

const MIB = 2 ** 20
/** Most pieces a simulated file has by default (see `SimulationOptions.pieces`). */
export const DEFAULT_SIM_PIECES = 256
/**
 * Swarms of at least this many leechers run without peer exchange and with 30 connections per peer
 * (the tracker model returning 30 peers): PEX messages and connection churn were most of their events.
 */
export const LARGE_SWARM = 1_000
/** Connections per peer, and peers per announce, in a {@link LARGE_SWARM}. */
const LARGE_SWARM_CONNECTIONS = 30
/** Connections per peer, and peers per announce, below a {@link LARGE_SWARM} (the swarm's default). */
const DEFAULT_CONNECTIONS = 50
/**
 * Swarms of more leechers than this run on the piece-level model (`auto`). A full client per peer
 * is the reference for small swarms (cross-checked against emulated hosts), but it runs about 1,000
 * events per second: a 64 MiB flash crowd of 100 peers did not finish in 30 minutes.
 */
export const PIECE_MODEL_ABOVE = 50
/** Most leechers a simulation takes (memory: about 100 kB per connection end). */
export const MAX_SIM_PEERS = 100_000

/**
 * `p2p lab --simulate`: internet-scale swarms on `@p2p/sim` (the real `@p2p/swarm` clients on
 * virtual links and time). For each N: a flash crowd and Poisson arrivals with churn, and flash crowds
 * with 2, 4 and 8 seeders. Writes report.html (same layout as the emulated lab's), a sampled
 * events.jsonl and report.pdf into `out`.
 *
 * @example
 * ```ts
 * const r = await runSimulation({ peers: [100, 1000], size: 64 * 2 ** 20, out: 'sim-out' })
 * console.log(r.lines.join('\n'), r.reportPath)
 * ```
 */
export async function runSimulation(options: SimulationOptions = {}): Promise<SimulationResult> {
  const plan = simulationPlan(options)
  const out = resolve(options.out ?? 'lab-out')
  await mkdir(out, { recursive: true })
  const eventsPath = join(out, 'events.jsonl')
  const log = new EventLog(eventsPath)
  const environment = await labEnvironment(options.command ?? process.argv.join(' '))
  const started = new Date().toISOString()
  const runs: SimSwarmResult[] = []
  const one = async (n: number, arrivals: Arrivals, seeders: number) => {
    const r = await simulateRun(plan, options, n, arrivals, seeders, plan.seed + runs.length)
    runs.push(r)
    logRun(log, r)
  }
  try {
    for (const n of plan.peers) for (const a of options.arrivals ?? ['flash', 'poisson']) await one(n, a, 1)
    for (const n of plan.peers)
      for (const s of options.seeders ?? [1, 2, 4, 8]) if (s > 1) await one(n, 'flash', s)
  } finally {
    await log.close()
  }
  const result = simulationResult(runs, plan.size, options.seeders ?? [1, 2, 4, 8])
  for (const l of result.lines) options.onLine?.(l)
  const html = renderReport(
    {
      mode: 'simulation',
      modeNote: simulationNote({
        peers: plan.peers,
        wire: plan.peers.filter((n) => modelOf(options, n) === 'wire'),
        connections: (n) => connectionsOf(options, n),
        pex: options.pex,
        links: plan.links,
        pieces: plan.pieces,
        size: plan.size,
      }),
      size: plan.size,
      impls: ['ours (simulated)'],
      started,
      notes: [
        'Times are virtual seconds from the moment the seeder serves. A Poisson run spreads arrivals over the flash crowd’s typical download time; in it 20 % of leechers leave unfinished and finished ones seed for an exponential time before leaving (churn).',
      ],
      environment,
      eventsFile: 'events.jsonl',
    },
    [result],
  )
  const note = (l: string) => options.onNote?.(l)
  const files = await writeReportFiles(out, html, options.pdf ?? true, note)
  return {
    result,
    runs,
    reportPath: files.reportPath,
    pdfPath: files.pdfPath,
    eventsPath,
    lines: result.lines,
  }
}

/** {@link SimulationOptions} checked, with their defaults. */
interface SimulationPlan {
  peers: number[]
  size: number
  pieces: number
  links: LinkModel
  seed: number
  /** The flash crowd's fluid time at the model's mean upload: the arrival window and churn times, ms. */
  typicalMs: number
}

function simulationPlan(options: SimulationOptions): SimulationPlan {
  const peers = options.peers ?? [100, 1_000, 10_000]
  if (peers.length === 0 || peers.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_SIM_PEERS))
    throw new LabError(
      'LAB_BAD_OPTION',
      `peers must be integers in 1..${MAX_SIM_PEERS}, got ${peers.join(',')}`,
    )
  const size = options.size ?? 4 * MIB
  const pieces = options.pieces ?? Math.min(DEFAULT_SIM_PIECES, Math.ceil(size / SIM_BLOCK))
  if (!Number.isInteger(pieces) || pieces < 2 || size / pieces < 16_384)
    throw new LabError('LAB_BAD_OPTION', `pieces must be >= 2 and at most size / 16 KiB, got ${pieces}`)
  const links = options.links ?? DEFAULT_LINK_MODEL
  const seed = options.seed ?? 1
  // Mean upload of the model, for the arrival window and churn times (the flash crowd's fluid time).
  const meanUp = links.classes.reduce((a, c) => a + (c.share * c.upKbps * 1000) / 8, 0)
  return { peers, size, pieces, links, seed, typicalMs: (size / meanUp) * 1000 }
}

/** Connections per peer, and peers per announce, at `n` leechers. */
function connectionsOf(options: SimulationOptions, n: number): number {
  return options.connections ?? (n >= LARGE_SWARM ? LARGE_SWARM_CONNECTIONS : DEFAULT_CONNECTIONS)
}

/** The model that runs `n` leechers. */
function modelOf(options: SimulationOptions, n: number): SimModel {
  if (options.model === 'wire' || options.model === 'piece') return options.model
  return n > PIECE_MODEL_ABOVE ? 'piece' : 'wire'
}

/** Simulates one swarm of `n` leechers with `seeders` seeders on its model, noting its progress. */
async function simulateRun(
  plan: SimulationPlan,
  options: SimulationOptions,
  n: number,
  arrivals: Arrivals,
  seeders: number,
  seed: number,
): Promise<SimSwarmResult> {
  const note = (l: string) => options.onNote?.(l)
  const run = `sim/${arrivals}/N=${n}${seeders > 1 ? `/S=${seeders}` : ''}`
  const model = modelOf(options, n)
  note(`${run}: starting (${model === 'piece' ? 'piece-level model' : 'a full client per peer'})`)
  const simulate = model === 'piece' ? simulatePieceSwarm : simulateSwarm
  const { typicalMs } = plan
  const r = await simulate({
    run,
    seed,
    leechers: n,
    seeders,
    size: plan.size,
    pieces: plan.pieces,
    arrivals,
    arrivalWindowMs: typicalMs,
    pex: options.pex ?? n < LARGE_SWARM,
    maxConnections: connectionsOf(options, n),
    numwant: connectionsOf(options, n),
    links: plan.links,
    churn:
      arrivals === 'poisson'
        ? { leave: 0.2, leaveMeanMs: typicalMs / 2, seedMeanMs: typicalMs / 4 }
        : undefined,
    sampleMs: Math.max(1_000, Math.round(typicalMs / 100)),
    onProgress: (p) => note(progressNote(p)),
  })
  note(
    `${run} (${model} model): ${r.stopped ?? 'done'} at virtual ${(r.virtualMs / 1000).toFixed(0)} s: ${r.events} events in ${(r.wallMs / 1000).toFixed(1)} s wall (${Math.round(r.events / (r.wallMs / 1000))} events/s), peak heap ${Math.round(r.peakHeapMB)} MB, peak RSS ${Math.round(r.peakRssMB)} MB`,
  )
  return r
}

/** A progress line of a running simulation. */
function progressNote(p: SimProgress): string {
  return `${p.run}: virtual ${(p.virtualMs / 1000).toFixed(0)} s, ${p.arrived} arrived, ${p.done} done, ${p.left} left, ${(p.events / 1e6).toFixed(2)} M events (${Math.round(p.events / (p.wallMs / 1000))}/s), heap ${Math.round(p.heapMB)} MB (${p.flows === undefined ? `${Math.round(p.inFlightMB)} MB in flight on links` : `${p.flows} transfers`}), RSS ${Math.round(p.rssMB)} MB, wall ${(p.wallMs / 1000).toFixed(0)} s`
}

/** Sampled events of one run: its start, the availability samples, a few peers' progress, its end. */
function logRun(log: EventLog, r: SimSwarmResult): void {
  const base = { scenario: 'simulation', run: r.run }
  const { links: _links, ...spec } = r.spec
  log.add({ ...base, type: 'run-start', model: r.model, ...spec, scale: r.scale })
  for (const a of r.availability) log.add({ ...base, type: 'availability', virtualT: Math.round(a.t), ...a })
  for (const tr of r.traces)
    for (const [t, progress] of tr.points)
      log.add({ ...base, type: 'progress', peer: `L${tr.peer}`, virtualT: Math.round(t), progress })
  log.add({
    ...base,
    type: 'run-end',
    completion: r.completion,
    events: r.events,
    virtualMs: r.virtualMs,
    wallMs: Math.round(r.wallMs),
    peakHeapMB: Math.round(r.peakHeapMB),
    peakRssMB: Math.round(r.peakRssMB),
    stopped: r.stopped,
  })
}

/** The report's note on how the runs were simulated: each model and the N it ran. */
function simulationNote(o: {
  peers: number[]
  wire: number[]
  connections: (n: number) => number
  pex: boolean | undefined
  links: LinkModel
  pieces: number
  size: number
}): string {
  const piece = o.peers.filter((n) => !o.wire.includes(n))
  const list = (ns: number[]) => ns.map((n) => `N = ${n}`).join(', ')
  const common = `Peers find each other through a tracker model (every 120 virtual s, as many random present peers as a peer keeps connections: ${o.peers.map((n) => `${o.connections(n)} at N = ${n}`).join(', ')}). Links drawn per leecher from ${MEASURED_CAPACITIES.length} measured capacity classes (table below), one-way latency ${o.links.latencyMs.join('..')} ms, random loss ${o.links.loss.map((x) => `${x * 100}%`).join('..')} (as a TCP throughput limit, Mathis et al.); the seeder has 5 Mbit/s up.`
  const wire = `Full clients (${list(o.wire)}): the real @p2p/swarm clients (picker, choker, wires) on @p2p/sim's virtual links and clock, ${o.pex === true ? 'with PEX' : o.pex === false ? 'no PEX' : `PEX below N = ${LARGE_SWARM}`}; the file is carried scaled: ${o.pieces} pieces, each as one 16 KiB block standing for ${(o.size / o.pieces / 1024).toFixed(0)} KiB on links slowed by the same factor (request timeouts stretched and request pipelines shortened alike).`
  const pieceNote = `Piece-level model (${list(piece)}, every N above ${PIECE_MODEL_ABOVE}): @p2p/sim's PieceSwarm runs the real @p2p/swarm PiecePicker and Choker of every peer without wires or bytes; ${o.pieces} pieces of ${(o.size / o.pieces / 1024).toFixed(0)} KiB requested in batches of up to 16 blocks (one at a time in the endgame), each batch a flow sharing its uploader's capacity (no flow above its downloader's capacity shared by its flows), choke rounds every 10 s on measured rates, the first request one round trip after an unchoke, have messages instantaneous, no PEX.`
  return [common, o.wire.length > 0 ? wire : '', piece.length > 0 ? pieceNote : ''].filter(Boolean).join(' ')
}
