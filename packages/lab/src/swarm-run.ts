import { constants } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { busyBetween, type CpuTimes, cpuTimes } from './cpu-load.js'
import type { EventLog } from './event-log.js'
import { type Fixture, sha256File } from './fixture.js'
import type { HostNetwork, LabHost } from './hosts.js'
import type { HostKind } from './netns.js'
import { type PeerConfig, type PeerImpl, PeerProcess } from './peer-process.js'
import { RunHosts } from './swarm-hosts.js'
import { RunClock, type RunTag, SwarmPeers, type TrackedPeer } from './swarm-peers.js'
import { startDhtNode, startTracker } from './swarm-services.js'
import type {
  AvailabilitySample,
  Discovery,
  LeecherSpec,
  PeerResult,
  RunResult,
  SwarmSpec,
} from './swarm-types.js'

/** How often the controller samples the swarm (and the peers report), ms. */
const SAMPLE_MS = 250
/** How often it checks whether every seeder serves, ms. */
const READY_POLL_MS = 50
/** Default of {@link SwarmSpec.stallMs}. */
const STALL_MS = 5000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A leecher that has not arrived yet. */
interface PendingLeecher {
  ls: LeecherSpec
  name: string
}

/**
 * Runs one swarm to the end: our tracker on its own host, seeders (and hostile peers) next, then, once
 * every seeder is ready to serve (the swarm's zero), leechers at their arrival times, until every
 * staying leecher is done, the swarm stalls, or `timeoutMs` passes. Peers find each other by announcing
 * to the tracker; with `discovery: 'direct'` (or in loopback mode when some peer is NATed or firewalled,
 * which loopback cannot emulate behind a tracker) the controller tells each new peer the running ones
 * instead. Stops every process it started.
 */
export async function runSwarm(
  spec: SwarmSpec,
  net: HostNetwork,
  fixture: Fixture,
  log: EventLog,
  workDir: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const run = new SwarmRun(spec, net, fixture, log, workDir)
  try {
    await run.startServices()
    await run.startSeeders()
    await run.waitForSeeders()
    await run.runLeechers(signal)
  } finally {
    await run.stop()
  }
  return await run.result()
}

/** One swarm run's processes and what the controller measured of it (see {@link runSwarm}). */
class SwarmRun {
  readonly #spec: SwarmSpec
  readonly #fixture: Fixture
  readonly #log: EventLog
  readonly #workDir: string
  readonly #tag: RunTag
  readonly #discovery: Discovery
  readonly #withDht: boolean
  readonly #clock: RunClock
  readonly #peers: SwarmPeers
  readonly #hosts: RunHosts
  readonly #availability: AvailabilitySample[] = []
  #tracker?: PeerProcess
  #trackerUrl?: string
  #dhtNode?: PeerProcess
  #dhtAddress?: string
  #trackerDiedAt?: number
  #seederLeft = false
  #coverageAfterSeederLeft?: number
  #independentAt?: number
  #stalled = false
  #cpuAtZero?: CpuTimes
  #cpuBusy?: number
  #wallMs = 0

  /** Logs the run's start; nothing runs yet. */
  constructor(spec: SwarmSpec, net: HostNetwork, fixture: Fixture, log: EventLog, workDir: string) {
    this.#spec = spec
    this.#fixture = fixture
    this.#log = log
    this.#workDir = workDir
    this.#tag = { scenario: spec.scenario, run: spec.run, repeat: spec.repeat ?? 1 }
    this.#clock = new RunClock(log)
    const hidden = spec.leechers.some((l) => (l.kind ?? 'public') !== 'public')
    this.#discovery = net.mode === 'loopback' && hidden ? 'direct' : (spec.discovery ?? 'tracker')
    this.#withDht = spec.dht === true || this.#discovery === 'dht'
    this.#peers = new SwarmPeers(log, this.#tag, this.#clock)
    this.#hosts = new RunHosts(net, spec, this.#discovery, this.#withDht)
    log.add({
      ...this.#tag,
      type: 'run-start',
      impl: spec.impl,
      mode: net.mode,
      seeders: spec.seeders,
      leechers: spec.leechers.length,
      discovery: this.#discovery,
    })
  }

  /** The tracker T0 (tracker discovery) and the DHT node D0 (when peers use the DHT), listening. */
  async startServices(): Promise<void> {
    if (this.#discovery === 'tracker') {
      const protocol = this.#spec.trackerProtocol ?? 'http'
      const tracker = startTracker(await this.#hosts.get('T0'), protocol, this.#log, this.#tag, (a) =>
        this.#peers.nameOf(a),
      )
      this.#tracker = tracker.proc
      this.#trackerUrl = await tracker.listening
      this.#log.add({ ...this.#tag, peer: 'T0', type: 'tracker-start', url: this.#trackerUrl, protocol })
    }
    if (this.#withDht) {
      const node = startDhtNode(await this.#hosts.get('D0'), this.#log, this.#tag)
      this.#dhtNode = node.proc
      this.#dhtAddress = await node.listening
      this.#log.add({ ...this.#tag, peer: 'D0', type: 'dht-start', address: this.#dhtAddress })
    }
  }

  /** The seeders, then the hostile peers. */
  async startSeeders(): Promise<void> {
    for (let i = 0; i < this.#spec.seeders; i++) await this.#startPeer(`S${i}`, 'seeder', 'public')
    for (let i = 0; i < (this.#spec.hostile ?? 0); i++) await this.#startPeer(`X${i}`, 'hostile', 'public')
  }

  /** Waits until every seeder serves (libtorrent checks its files first), then makes that the swarm's zero. */
  async waitForSeeders(): Promise<void> {
    while (
      this.#peers.seeders().some((p) => p.proc?.running && !p.seeding) &&
      this.#clock.now() < this.#spec.timeoutMs
    )
      await sleep(READY_POLL_MS)
    const shift = this.#clock.rezero()
    for (const p of this.#peers.all) p.result.startAt -= shift
    this.#cpuAtZero = cpuTimes()
    this.#log.add({ ...this.#tag, type: 'swarm-ready' })
  }

  /**
   * Starts the leechers at their arrival times and samples the swarm every {@link SAMPLE_MS} until
   * every staying leecher is done, the swarm stalls or the run times out; seeders leave and the
   * tracker dies on the way when the spec says so.
   */
  async runLeechers(signal?: AbortSignal): Promise<void> {
    const pending = this.#spec.leechers.map((ls, i) => ({ ls, name: `L${i}` }))
    for (;;) {
      signal?.throwIfAborted()
      const now = this.#clock.now()
      await this.#admitArrivals(pending, now)
      this.#sendAwayLeavers(now)
      const s = this.#sample()
      const meanProgress = this.#peers.meanProgress()
      await this.#maybeKillTracker(meanProgress, now)
      if (!this.#seederLeft && this.#seedersShouldLeave(s, meanProgress))
        await this.#seedersLeave(meanProgress, now)
      this.#markCrashed(now)
      if (this.#over(pending, s, now)) break
      await sleep(SAMPLE_MS)
    }
  }

  /** Takes each process's usage and stops every process of the run. */
  async stop(): Promise<void> {
    this.#cpuBusy = this.#cpuAtZero && busyBetween(this.#cpuAtZero, cpuTimes())
    this.#wallMs = this.#clock.now()
    const peers = this.#peers.all
    await Promise.all(
      peers.map(async (p) => {
        const usage = await p.proc?.usage()
        p.result.cpuMs = usage?.cpuMs
        p.result.peakRss = usage?.peakRss
      }),
    )
    await Promise.all(peers.map((p) => p.proc?.stop()))
    await this.#tracker?.stop()
    await this.#dhtNode?.stop()
  }

  /** The run's outcome (each finished leecher's file checked against the original), logged as run-end. */
  async result(): Promise<RunResult> {
    const leechers = this.#peers.leechers()
    for (const p of leechers) {
      if (p.result.doneAt !== undefined)
        p.result.intact =
          (await sha256File(join(this.#peerDir(p.result.name), this.#fixture.name))) === this.#fixture.sha256
    }
    const staying = leechers.filter((p) => p.result.leftAt === undefined || p.result.failed)
    const allDone = staying.every((p) => p.result.doneAt !== undefined)
    const spec = this.#spec
    const result: RunResult = {
      scenario: spec.scenario,
      run: spec.run,
      repeat: spec.repeat ?? 1,
      impl: spec.impl,
      peers: this.#peers.all.map((p) => p.result),
      completion: allDone && staying.length ? Math.max(...staying.map((p) => p.result.doneAt!)) : undefined,
      allDone,
      stalled: this.#stalled,
      availability: this.#availability,
      independentAt: this.#independentAt,
      coverageAfterSeederLeft: this.#coverageAfterSeederLeft,
      bans: this.#peers.bans,
      discovery: this.#discovery,
      dht: this.#withDht,
      trackerDiedAt: this.#trackerDiedAt,
      settings: this.#peers.settings,
      cpuBusy: this.#cpuBusy,
      load: loadavg()[0] ?? 0,
      wallMs: this.#wallMs,
    }
    this.#log.add({
      ...this.#tag,
      type: 'run-end',
      allDone,
      stalled: this.#stalled,
      completion: result.completion,
    })
    return result
  }

  /** Starts the leechers due by `now` (those waiting for the tracker's death only after it). */
  async #admitArrivals(pending: PendingLeecher[], now: number): Promise<void> {
    while (
      pending.length > 0 &&
      (pending[0]!.ls.arriveAt ?? 0) <= now &&
      (!pending[0]!.ls.afterTrackerDies || this.#trackerDiedAt !== undefined)
    ) {
      const { ls, name } = pending.shift()!
      await this.#startPeer(name, 'leecher', ls.kind ?? 'public', ls)
    }
  }

  /** Stops the unfinished leechers whose `leaveAt` has come. */
  #sendAwayLeavers(now: number): void {
    for (const p of this.#peers.runningLeechers()) {
      if (p.spec?.leaveAt !== undefined && p.spec.leaveAt <= now && p.result.doneAt === undefined) {
        p.result.leftAt = now
        this.#log.add({ ...this.#tag, peer: p.result.name, type: 'leave' })
        void p.proc!.stop()
      }
    }
  }

  /** Records an availability sample (and when the leechers first held every piece together). */
  #sample(): AvailabilitySample {
    const s = this.#peers.sample(this.#fixture.pieceCount)
    this.#availability.push(s)
    if (s.coverage >= 1 && this.#peers.leechers().length > 0) this.#independentAt ??= s.t
    return s
  }

  /** Kills the tracker once the leechers' mean progress reaches {@link SwarmSpec.trackerDiesAt}. */
  async #maybeKillTracker(meanProgress: number, now: number): Promise<void> {
    const diesAt = this.#spec.trackerDiesAt
    if (
      diesAt === undefined ||
      this.#trackerDiedAt !== undefined ||
      !(meanProgress >= diesAt) ||
      !this.#tracker
    )
      return
    this.#trackerDiedAt = now
    await this.#tracker.kill()
    this.#log.add({ ...this.#tag, peer: 'T0', type: 'tracker-dies', meanProgress })
  }

  #seedersShouldLeave(s: AvailabilitySample, meanProgress: number): boolean {
    const at = this.#spec.seederLeaveAt
    return at === 'copy' ? s.coverage >= 1 : at !== undefined && meanProgress >= at
  }

  /** Stops every running seeder and notes what the leechers hold without them. */
  async #seedersLeave(meanProgress: number, now: number): Promise<void> {
    this.#seederLeft = true
    for (const p of this.#peers.all)
      if (p.result.role === 'seeder' && p.proc?.running) {
        p.result.leftAt = now
        await p.proc.stop()
      }
    this.#coverageAfterSeederLeft = this.#peers.sample(this.#fixture.pieceCount).coverage
    this.#log.add({
      ...this.#tag,
      type: 'seeder-leave',
      meanProgress,
      coverage: this.#coverageAfterSeederLeft,
    })
  }

  /** Marks the leechers whose processes ended unfinished (without being sent away) as failed. */
  #markCrashed(now: number): void {
    for (const p of this.#peers.leechers()) {
      if (!p.proc?.running && p.result.doneAt === undefined && p.result.leftAt === undefined) {
        p.result.failed = true
        p.result.leftAt = now
      }
    }
  }

  /** Whether the run is over: every leecher done or gone, a stall (then noted), or the timeout. */
  #over(pending: PendingLeecher[], s: AvailabilitySample, now: number): boolean {
    const waiting = this.#peers
      .leechers()
      .filter((p) => p.result.doneAt === undefined && p.result.leftAt === undefined)
    if (pending.length === 0 && waiting.length === 0) return true
    if (
      !this.#peers.seedersRunning() &&
      s.coverage < 1 &&
      pending.length === 0 &&
      now - this.#peers.lastMove > (this.#spec.stallMs ?? STALL_MS)
    ) {
      this.#stalled = true
      return true
    }
    return now > this.#spec.timeoutMs
  }

  #peerDir(name: string): string {
    return join(this.#workDir, this.#spec.run.replace(/[^\w=-]+/g, '_'), name)
  }

  /** Starts one peer process on its host (with direct discovery, the running peers are told of it). */
  async #startPeer(name: string, role: PeerResult['role'], kind: HostKind, ls?: LeecherSpec): Promise<void> {
    const host = await this.#hosts.get(name)
    const dir = await this.#preparePeerDir(name, role)
    const tracked: TrackedPeer = {
      result: { name, role, kind, startAt: this.#clock.now(), uploaded: 0, downloaded: 0, failedPieces: 0 },
      have: new Set(),
      progress: role === 'leecher' ? 0 : 1,
      seeding: false,
      spec: ls,
    }
    const impl: PeerImpl = role === 'hostile' ? 'hostile' : this.#spec.impl
    const config = this.#peerConfig(host, dir, role, kind)
    const proc = new PeerProcess(name, impl, host, config, (m) => this.#peers.handle(tracked, m))
    this.#peers.add(tracked, proc)
    if (this.#discovery === 'direct')
      for (const p of this.#peers.all)
        if (p !== tracked && p.proc?.running) p.proc.send({ cmd: 'connect', peers: [proc.address] })
    this.#log.add({ ...this.#tag, peer: name, type: 'peer-start', impl, role, kind, address: proc.address })
    void proc.exited.then((code) => {
      this.#log.add({ ...this.#tag, peer: name, type: 'peer-exit', code })
      if (code !== 0 && code !== null && tracked.result.leftAt === undefined) {
        this.#log.add({ ...this.#tag, peer: name, type: 'error', message: proc.stderr.slice(-1000) })
      }
    })
  }

  /** An empty directory for the peer; a seeder's (and hostile peer's) holds its own copy of the file. */
  async #preparePeerDir(name: string, role: PeerResult['role']): Promise<string> {
    const dir = this.#peerDir(name)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    // A private copy (a reflink where the filesystem can) so no peer can alter another run's source.
    if (role !== 'leecher') {
      const { dir: source, name: file } = this.#fixture
      await copyFile(join(source, file), join(dir, file), constants.COPYFILE_FICLONE)
    }
    return dir
  }

  /** What a peer process is told: its file, limits, and how it finds the others. */
  #peerConfig(host: LabHost, dir: string, role: PeerResult['role'], kind: HostKind): PeerConfig {
    const spec = this.#spec
    const fixture = this.#fixture
    return {
      torrent: fixture.torrent,
      dir,
      host: host.ip,
      port: host.port,
      peers: this.#discovery === 'direct' ? this.#peers.runningAddresses() : [],
      trackers: this.#trackerUrl ? [this.#trackerUrl] : undefined,
      seed: role !== 'leecher',
      uploadLimit: host.limits?.up,
      downloadLimit: host.limits?.down,
      strategy: spec.strategy,
      noIncoming: host.noIncoming,
      sampleMs: SAMPLE_MS,
      version: fixture.version,
      name: fixture.name,
      superSeed: role === 'seeder' && spec.superSeed === true,
      dhtBootstrap: this.#dhtAddress ? [this.#dhtAddress] : undefined,
      lsd: this.#discovery === 'lsd',
      portMapping: kind === 'upnp',
      transports: spec.transports,
    }
  }
}
