import { createRequire } from 'node:module'
import { LabError } from './errors.js'
import { execQuiet } from './exec.js'
import type { NetworkMode } from './hosts.js'
import { type FixtureVersion, packageFile } from './peer-process.js'
import type { SwarmImpl } from './scenario.js'
import { scenarios } from './scenarios/index.js'
import type { Discovery } from './swarm-types.js'

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
  version?: FixtureVersion
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

/** What a lab run does: {@link LabOptions} checked, with their defaults and the network mode chosen. */
export interface LabPlan {
  /** Scenarios to run, in order. */
  names: string[]
  peers: number[]
  repeats: number
  size: number
  mode: NetworkMode
  impls: SwarmImpl[]
  /** @p2p/swarm loads (else the lab runs libtorrent peers only). */
  oursOk: boolean
  discovery: Discovery
  trackerProtocol: 'http' | 'udp'
}

const MIB = 2 ** 20
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

/** Checks `options` (a LabError for a bad one) and fills in their defaults. */
export async function labPlan(options: LabOptions): Promise<LabPlan> {
  const names = scenarioNames(options.scenarios)
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
  const mode = await networkMode(options.network ?? 'auto')
  const oursOk = await swarmAvailable()
  const impls = options.impls ?? (oursOk ? ['ours', 'libtorrent'] : ['libtorrent'])
  if (impls.length === 0) throw new LabError('LAB_BAD_OPTION', 'impls must name ours and/or libtorrent')
  if (impls.includes('ours') && !oursOk) {
    throw new LabError('LAB_BAD_OPTION', '@p2p/swarm does not resolve from @p2p/lab: cannot run our peers')
  }
  const discovery = options.discovery ?? 'tracker'
  const trackerProtocol = options.trackerProtocol ?? 'http'
  return { names, peers, repeats, size, mode, impls, oursOk, discovery, trackerProtocol }
}

/** The scenarios asked for ('all' or none: every one), each checked to exist. */
function scenarioNames(asked: LabOptions['scenarios']): string[] {
  const names = asked === 'all' || !asked ? Object.keys(scenarios) : asked
  for (const n of names) {
    if (!scenarios[n])
      throw new LabError(
        'LAB_UNKNOWN_SCENARIO',
        `unknown scenario ${n} (have ${Object.keys(scenarios).join(', ')})`,
      )
  }
  return names
}

/** Network namespaces when asked for (and possible), or for 'auto' when possible; else loopback. */
async function networkMode(wanted: 'auto' | NetworkMode): Promise<NetworkMode> {
  const canNetns = await netnsSupported()
  if (wanted === 'netns' && !canNetns)
    throw new LabError('LAB_BAD_OPTION', 'network namespaces need root on Linux')
  return wanted === 'auto' ? (canNetns ? 'netns' : 'loopback') : wanted
}
