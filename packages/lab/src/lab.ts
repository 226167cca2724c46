import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { exportPdf, labEnvironment } from './environment.js'
import { LabError } from './errors.js'
import { EventLog } from './event-log.js'
import { execQuiet } from './exec.js'
import type { Fixture } from './fixture.js'
import { makeFixture } from './fixture.js'
import { HostNetwork, type NetworkMode } from './hosts.js'
import { cleanupStale, cleanupSync } from './netns.js'
import { killAllPeersSync, packageFile, type TorrentVersion } from './peer-process.js'
import { repeatName, summarizeRuns } from './repeats.js'
import { renderReport } from './report/html.js'
import {
  peersTable,
  type ScenarioContext,
  type ScenarioResult,
  type SwarmImpl,
  settingsTable,
} from './scenario.js'
import { scenarios } from './scenarios/index.js'
import { runSwarm } from './swarm-run.js'
import type { Discovery, RunResult } from './swarm-types.js'

/** Options of {@link runLab}. Rates are bytes per second. */
export interface LabOptions {
  /** Scenario names, or 'all' (default). */
  scenarios?: string[] | 'all'
  /** Leecher counts (default 2, 5, 10). */
  peers?: number[]
  /** File size in bytes (default 64 MiB). */
  size?: number
  /** Output directory for report.html and events.jsonl (default ./lab-out). */
  out?: string
  /** 'auto' (default): network namespaces when root on Linux, else loopback. */
  network?: 'auto' | NetworkMode
  /** Per-peer upload cap (default 20 Mbit/s). */
  up?: number
  /** Per-peer download cap (default 50 Mbit/s). */
  down?: number
  /** Peer implementations; default ours (when @p2p/swarm loads) and libtorrent. */
  impls?: SwarmImpl[]
  /** Torrent version of the shared file (default v1; integrity always runs v1 and v2). */
  version?: TorrentVersion
  /** Multiplier on run timeouts. */
  timeoutScale?: number
  /** Runs per scenario run: tables show median (min–max), bars PASS/MISS only when every run agrees (default 3). */
  repeats?: number
  /** Keep the peers' download directories (default false). */
  keepFiles?: boolean
  /**
   * A run's only seeder super-seeds (BEP 16: each leecher is shown a few pieces the swarm lacks at a
   * time), ours and libtorrent alike; runs with several seeders always seed normally. Default false:
   * libtorrent 2.0's super-seed offers a new peer its first piece only after 10 s (see the report's
   * note), which would be measured as swarm speed.
   */
  superSeed?: boolean
  /** How peers find each other (default 'tracker': our tracker on its own host; 'direct': the controller tells them). */
  discovery?: Discovery
  /** Protocol of the lab's tracker (default 'http'). */
  trackerProtocol?: 'http' | 'udp'
  /** The command line shown in the report's environment block (default: this process's argv). */
  command?: string
  /** Also print the report to report.pdf with headless Chromium (default true). */
  pdf?: boolean
  signal?: AbortSignal
  /** Progress notes (which run is starting). */
  onNote?: (line: string) => void
  /** Result lines (ratios, checks) as they are known. */
  onLine?: (line: string) => void
}

/** What {@link runLab} produced. */
export interface LabResult {
  mode: NetworkMode
  results: ScenarioResult[]
  reportPath: string
  /** report.pdf, when it was printed. */
  pdfPath?: string
  eventsPath: string
  lines: string[]
}

const MIB = 2 ** 20
/** 20 Mbit/s up and 50 Mbit/s down per peer: a typical home line. */
const DEFAULT_UP = 2_500_000
const DEFAULT_DOWN = 6_250_000
const SWARM_MODULE = '@p2p/swarm'

/**
 * Whether @p2p/swarm resolves from this package, as the peer runner process will load it (the lab
 * then runs our peers; else libtorrent only).
 */
export async function swarmAvailable(): Promise<boolean> {
  try {
    createRequire(packageFile('package.json')).resolve(SWARM_MODULE)
    return true
  } catch {
    return false
  }
}

/** Whether this process can build network namespaces (root on Linux with `ip netns`). */
export async function netnsSupported(): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false
  return (await execQuiet('ip', ['netns', 'list'])).code === 0
}

/**
 * Runs the chosen scenarios and writes `events.jsonl` and `report.html` into `out`. Everything it
 * creates (namespaces, links, qdiscs, peer processes) is removed at the end, on failure, and on
 * SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * const r = await runLab({ scenarios: ['scaling'], peers: [2, 5], size: 8 * 2 ** 20, out: 'lab-out' })
 * console.log(r.lines.join('\n'), r.reportPath)
 * ```
 */
export async function runLab(options: LabOptions = {}): Promise<LabResult> {
  const names = options.scenarios === 'all' || !options.scenarios ? Object.keys(scenarios) : options.scenarios
  for (const n of names) {
    if (!scenarios[n])
      throw new LabError(
        'LAB_UNKNOWN_SCENARIO',
        `unknown scenario ${n} (have ${Object.keys(scenarios).join(', ')})`,
      )
  }
  const peers = options.peers ?? [2, 5, 10]
  if (peers.length === 0 || peers.some((n) => !Number.isInteger(n) || n < 1 || n > 50)) {
    throw new LabError('LAB_BAD_OPTION', `peers must be integers in 1..50, got ${peers.join(',')}`)
  }
  const repeats = options.repeats ?? 3
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20)
    throw new LabError('LAB_BAD_OPTION', `repeats must be an integer in 1..20, got ${repeats}`)
  const size = options.size ?? 64 * MIB
  if (!Number.isInteger(size) || size < 64 * 1024)
    throw new LabError('LAB_BAD_OPTION', `size must be >= 64 KiB, got ${size}`)
  const wantNetns = options.network ?? 'auto'
  const canNetns = await netnsSupported()
  if (wantNetns === 'netns' && !canNetns)
    throw new LabError('LAB_BAD_OPTION', 'network namespaces need root on Linux')
  const mode: NetworkMode = wantNetns === 'auto' ? (canNetns ? 'netns' : 'loopback') : wantNetns
  const oursOk = await swarmAvailable()
  const impls = options.impls ?? (oursOk ? ['ours', 'libtorrent'] : ['libtorrent'])
  if (impls.length === 0) throw new LabError('LAB_BAD_OPTION', 'impls must name ours and/or libtorrent')
  if (impls.includes('ours') && !oursOk) {
    throw new LabError('LAB_BAD_OPTION', '@p2p/swarm does not resolve from @p2p/lab: cannot run our peers')
  }
  const notes: string[] = []
  if (!oursOk)
    notes.push('@p2p/swarm could not be loaded in this build: every scenario ran libtorrent peers only.')
  const discovery = options.discovery ?? 'tracker'
  const trackerProtocol = options.trackerProtocol ?? 'http'
  notes.push(
    discovery === 'tracker'
      ? `Discovery: every peer, ours and libtorrent's, announces to our tracker (@p2p/tracker-server, ${trackerProtocol.toUpperCase()}) on its own host T0 and dials the peers it returns; the timeline logs each announce. Loopback runs with NATed or firewalled peers fall back to direct discovery (loopback cannot hide a peer behind a tracker).`
      : 'Discovery: direct (the lab controller tells each new peer the addresses of the running ones).',
  )
  notes.push(
    'Clock: a run starts its seeders first and counts from the moment every seeder serves (libtorrent checks its copy of the file first); leechers start then. Each peer row gives its time to the first verified piece.',
  )
  notes.push(
    options.superSeed
      ? 'A lone seeder super-seeds (BEP 16), ours and libtorrent alike: each leecher is shown a few pieces the swarm lacks at a time and gets more once one turns up on another peer. Note: libtorrent 2.0 sends its first super-seed HAVE while the connection is still in its handshake state, where peer_connection::superseed_piece returns without sending, so each new peer is offered its first piece only by the 10 s retry in peer_connection::second_tick: every libtorrent leecher idles about 10 s. Runs with several seeders seed normally.'
      : 'Seeders seed normally (super-seeding off, ours and libtorrent alike): they serve whatever pieces leechers ask for. (With --super-seed, libtorrent 2.0 leechers idle about 10 s each: its first super-seed HAVE is dropped during the handshake and only its 10 s retry offers a piece.)',
  )

  const out = resolve(options.out ?? 'lab-out')
  const workDir = join(out, 'work')
  await mkdir(workDir, { recursive: true })
  const eventsPath = join(out, 'events.jsonl')
  const log = new EventLog(eventsPath)
  const caps = { up: options.up ?? DEFAULT_UP, down: options.down ?? DEFAULT_DOWN }
  const fixtures = new Map<TorrentVersion, Promise<Fixture>>()
  const lines: string[] = []
  const onSignal = (sig: NodeJS.Signals) => {
    killAllPeersSync()
    cleanupSync()
    process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  const onExit = () => {
    killAllPeersSync()
    cleanupSync()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  if (mode === 'netns') await cleanupStale()

  const ctx: ScenarioContext = {
    net: undefined as unknown as HostNetwork,
    mode,
    log,
    workDir,
    size,
    peers,
    caps,
    impls,
    timeoutScale: options.timeoutScale ?? 1,
    repeats,
    signal: options.signal,
    note: (l) => options.onNote?.(l),
    fixture(version = options.version ?? 'v1') {
      let f = fixtures.get(version)
      if (!f) {
        f = makeFixture(join(workDir, `fixture-${version}`), size, version)
        fixtures.set(version, f)
      }
      return f
    },
    async runSwarm(spec, fixture) {
      const net = await HostNetwork.open(mode)
      try {
        return await runSwarm(
          {
            superSeed: (options.superSeed ?? false) && spec.seeders === 1,
            discovery,
            trackerProtocol,
            ...spec,
          },
          net,
          fixture,
          log,
          workDir,
          options.signal,
        )
      } finally {
        await net.close()
      }
    },
    async runRepeated(spec, fixture) {
      const runs: RunResult[] = []
      for (let k = 1; k <= repeats; k++) {
        if (repeats > 1) ctx.note(`${spec.run}: run ${k} of ${repeats}`)
        runs.push(await ctx.runSwarm({ ...spec, run: repeatName(spec.run, k, repeats), repeat: k }, fixture))
      }
      return summarizeRuns(runs)
    },
  }
  const results: ScenarioResult[] = []
  const started = new Date().toISOString()
  const environment = await labEnvironment(options.command ?? process.argv.join(' '))
  try {
    for (const name of names) {
      options.signal?.throwIfAborted()
      const r = await scenarios[name]!.run(ctx)
      r.tables.push(peersTable(r.runs))
      results.push(r)
      for (const l of r.lines) {
        lines.push(l)
        options.onLine?.(l)
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
    await log.close()
    if (!options.keepFiles) await rm(workDir, { recursive: true, force: true })
  }
  const repeatedIn = results.filter((r) => r.runs.some((x) => x.repeat > 1)).map((r) => r.name)
  notes.push(
    repeatedIn.length
      ? `Repeats: each run of ${repeatedIn.join(', ')} ran ${repeats} times; tables show the median (min–max) over them, and a quality bar is PASS only when every run is within it, MISS only when every run is outside it, else INCONCLUSIVE. Progress curves show the median run (by completion time). Other scenarios ran once.`
      : 'Repeats: each run ran once: no spread is known, so a verdict rests on a single run.',
  )
  const modeNote =
    mode === 'netns'
      ? 'each peer in its own network namespace on a bridge (10.77.0.0/16), caps by tc tbf on both veth ends, NAT by an nftables masquerade router'
      : 'no network namespaces (not root, or --no-netns): all peers on 127.0.0.1 with their own rate limits; NAT/firewalled peers emulated by not listening'
  const reportPath = join(out, 'report.html')
  await writeFile(
    reportPath,
    renderReport(
      {
        mode,
        modeNote,
        size,
        caps,
        impls,
        started,
        notes,
        environment,
        eventsFile: 'events.jsonl',
        tables: [settingsTable(results.flatMap((r) => r.runs))],
      },
      results,
    ),
  )
  let pdfPath: string | undefined
  if (options.pdf ?? true) {
    pdfPath = join(out, 'report.pdf')
    const failed = await exportPdf(reportPath, pdfPath)
    if (failed) {
      pdfPath = undefined
      options.onNote?.(`no PDF: ${failed}`)
    }
  }
  return { mode, results, reportPath, pdfPath, eventsPath, lines }
}
