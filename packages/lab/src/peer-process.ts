import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { hostAddress, type LabHost } from './hosts.js'
import { type ProcessUsage, processUsage } from './process-usage.js'

/** Which program a peer runs: our swarm, libtorrent (Debian's python), or the corrupt-serving peer. */
export type PeerImpl = 'ours' | 'libtorrent' | 'hostile'
/** What a lab process runs: a peer, the lab's tracker, or the lab's DHT bootstrap node. */
export type ProcessKind = PeerImpl | 'tracker' | 'dht'
/** Piece picking order asked of a peer. */
export type Strategy = 'rarest' | 'sequential' | 'random'
/**
 * The lab fixture's torrent as its options spell it: v1 (SHA-1), v2 (SHA-256 merkle) or hybrid
 * (`@p2p/metainfo`'s `TorrentVersion` says 1, 2 or 'hybrid').
 */
export type FixtureVersion = 'v1' | 'v2' | 'hybrid'

/** Debian's python, the one python3-libtorrent is built for. */
export const DEBIAN_PYTHON = '/usr/bin/python3'

/** What a peer process is told to do (sent as JSON on its command line). */
export interface PeerConfig {
  torrent: string
  dir: string
  host: string
  port: number
  /** Peers to dial at start (direct discovery; empty when peers come from the tracker). */
  peers: string[]
  /** Tracker announce URLs (tracker discovery). */
  trackers?: string[]
  seed: boolean
  uploadLimit?: number
  downloadLimit?: number
  strategy?: Strategy
  noIncoming?: boolean
  sampleMs?: number
  version: FixtureVersion
  /** Name of the shared file inside `dir` (what a seeder serves). */
  name: string
  /** A seeder super-seeds (BEP 16). */
  superSeed?: boolean
  /** DHT nodes (`host:port`) to join through: the peer then runs a DHT node on its UDP port (BEP 5). */
  dhtBootstrap?: string[]
  /** Local peer discovery (BEP 14) on the host's interface. Default off. */
  lsd?: boolean
  /** Map the listening port on the host's router (UPnP IGD, NAT-PMP, PCP). Default off. */
  portMapping?: boolean
  /** Transports the peer speaks (default: TCP only for libtorrent, the swarm's default for ours). */
  transports?: PeerTransport[]
}

/** A transport a lab peer may speak: uTP is what BEP 55 holepunches through NATs. */
export type PeerTransport = 'tcp' | 'utp'

/** What the lab's DHT bootstrap node process is told (JSON on its command line). */
export interface DhtNodeConfig {
  host: string
  port: number
}

/** What the lab's tracker process is told (JSON on its command line). */
export interface TrackerConfig {
  host: string
  port: number
  protocol: 'http' | 'udp'
  /** Announce interval, seconds. */
  interval: number
}

/** A JSON line a peer process writes on stdout. */
export interface PeerMessage {
  type: string
  [key: string]: unknown
}

const packageRoot = new URL('../', import.meta.url)
/** Absolute path of a file shipped in the package (runners/, dist/). */
export function packageFile(rel: string): string {
  return fileURLToPath(new URL(rel, packageRoot))
}

const NODE_SCRIPTS = {
  ours: 'dist/peer-runner.js',
  hostile: 'dist/hostile-peer.js',
  tracker: 'dist/tracker-runner.js',
  dht: 'dist/dht-runner.js',
} as const

function command(kind: ProcessKind, config: PeerConfig | TrackerConfig | DhtNodeConfig): [string, string[]] {
  const json = JSON.stringify(config)
  if (kind === 'libtorrent') return [DEBIAN_PYTHON, [packageFile('runners/libtorrent_peer.py'), json]]
  return [process.execPath, [packageFile(NODE_SCRIPTS[kind]), json]]
}

const live = new Set<PeerProcess>()

/** One peer (or the lab's tracker) running as its own process (inside its host's namespace in netns mode). */
export class PeerProcess {
  readonly name: string
  readonly impl: ProcessKind
  readonly host: LabHost
  readonly #proc: ChildProcess
  #stderr = ''
  readonly exited: Promise<number | null>

  /** Spawns the peer; `onMessage` receives each JSON line it prints. */
  constructor(
    name: string,
    impl: ProcessKind,
    host: LabHost,
    config: PeerConfig | TrackerConfig | DhtNodeConfig,
    onMessage: (m: PeerMessage) => void,
  ) {
    this.name = name
    this.impl = impl
    this.host = host
    const [cmd, args] = command(impl, config)
    const full: [string, string[]] = host.netns
      ? ['ip', ['netns', 'exec', host.netns, cmd, ...args]]
      : [cmd, args]
    this.#proc = spawn(full[0], full[1], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    live.add(this)
    let buf = ''
    this.#proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString()
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim()
        buf = buf.slice(nl + 1)
        if (!line) continue
        try {
          onMessage(JSON.parse(line) as PeerMessage)
        } catch {
          onMessage({ type: 'warning', message: `unparsable line: ${line.slice(0, 200)}` })
        }
      }
    })
    this.#proc.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000)
    })
    this.#proc.stdin!.on('error', () => {})
    this.exited = new Promise((resolve) => {
      this.#proc.on('error', (err) => {
        this.#stderr += err.message
        resolve(127)
      })
      this.#proc.on('exit', (code) => {
        live.delete(this)
        resolve(code)
      })
    })
  }

  /** Address other peers dial. */
  get address(): string {
    return hostAddress(this.host)
  }

  /** Process id (the process group leader). */
  get pid(): number | undefined {
    return this.#proc.pid
  }

  /** Last lines the process wrote on stderr. */
  get stderr(): string {
    return this.#stderr
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#proc.exitCode === null && this.#proc.signalCode === null
  }

  /** CPU time and peak memory of the process so far (undefined once it exited). */
  async usage(): Promise<ProcessUsage | undefined> {
    return this.running && this.pid ? processUsage(this.pid) : undefined
  }

  /** Sends a command line (`{cmd: 'connect', peers}` or `{cmd: 'stop'}`). */
  send(cmd: Record<string, unknown>): void {
    if (this.running) this.#proc.stdin!.write(`${JSON.stringify(cmd)}\n`)
  }

  /** Asks the peer to stop, then SIGTERM / SIGKILL its process group; resolves once it exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return
    this.send({ cmd: 'stop' })
    const timers = [
      setTimeout(() => signalGroup(this.#proc, 'SIGTERM'), graceMs),
      setTimeout(() => signalGroup(this.#proc, 'SIGKILL'), graceMs * 2),
    ]
    await this.exited
    for (const t of timers) clearTimeout(t)
  }

  /** Kills its process group at once (SIGKILL: a crash, nothing said to anyone); resolves once it exited. */
  async kill(): Promise<void> {
    if (this.running && this.pid) signalPid(-this.pid)
    await this.exited
  }
}

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal)
  } catch {}
}

/** Kills every peer process still running (synchronous: exit and signal handlers). */
export function killAllPeersSync(): void {
  for (const p of live) if (p.pid) signalPid(-p.pid)
  live.clear()
}

function signalPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}
