import { constants } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { busyBetween, type CpuTimes, cpuTimes } from './cpu-load.js'
import type { EventLog } from './event-log.js'
import { type Fixture, sha256File } from './fixture.js'
import type { HostNetwork, LabHost } from './hosts.js'
import type { HostCaps, HostKind } from './netns.js'
import {
  type PeerImpl,
  type PeerMessage,
  PeerProcess,
  type PeerTransport,
  type Strategy,
} from './peer-process.js'

/**
 * How peers find each other: our tracker on its own host, addresses pushed by the lab controller, or
 * only the DHT (no tracker; every peer is given the lab's DHT node D0 and nothing else), or local peer
 * discovery (BEP 14 multicast on the hosts' segment; no tracker, no addresses given).
 */
export type Discovery = 'tracker' | 'direct' | 'dht' | 'lsd'

/** One leecher of a run: where it sits, when it arrives and (optionally) leaves unfinished. */
export interface LeecherSpec {
  kind?: HostKind
  /** ms after the run starts (default 0). */
  arriveAt?: number
  /** ms after the run starts at which it leaves, finished or not. */
  leaveAt?: number
  /** It arrives only once the tracker died ({@link SwarmSpec.trackerDiesAt}): it never met anyone through it. */
  afterTrackerDies?: boolean
}

/** Everything one swarm run needs. */
export interface SwarmSpec {
  scenario: string
  run: string
  /** Which repeat of the scenario's run this is (1-based, default 1); every event of the run carries it. */
  repeat?: number
  impl: Exclude<PeerImpl, 'hostile'>
  seeders: number
  leechers: LeecherSpec[]
  /** Corrupt-serving peers (integrity scenario). */
  hostile?: number
  caps: HostCaps
  /** Seeder caps when they differ from {@link caps}. */
  seederCaps?: HostCaps
  strategy?: Strategy
  /**
   * The seeders leave when the leechers' mean progress reaches this fraction, or with 'copy' as soon
   * as the leechers together hold every piece (one full copy has left the seeder).
   */
  seederLeaveAt?: number | 'copy'
  timeoutMs: number
  /** Stop early when no seeder remains, pieces are missing from the swarm and nothing moved for this long. */
  stallMs?: number
  /** The seeders super-seed (BEP 16). */
  superSeed?: boolean
  /** Default 'tracker' (loopback runs with NATed or firewalled peers use 'direct': see `runSwarm`). */
  discovery?: Discovery
  /** Tracker protocol (default 'http'). */
  trackerProtocol?: 'http' | 'udp'
  /** Every peer also joins a DHT through the lab's node D0 (implied by discovery 'dht'). */
  dht?: boolean
  /** The tracker process is killed (SIGKILL) when the leechers' mean progress reaches this fraction. */
  trackerDiesAt?: number
  /** Transports every peer speaks (default: each implementation's own: TCP only for libtorrent, TCP and uTP for ours). */
  transports?: PeerTransport[]
}

/** What happened to one peer of a run (times in ms from the run start). */
export interface PeerResult {
  name: string
  role: 'seeder' | 'leecher' | 'hostile'
  kind: HostKind
  /** ms from the swarm's zero (the seeders ready); seeders start before it, so theirs is negative. */
  startAt: number
  /** First verified piece. */
  firstPieceAt?: number
  doneAt?: number
  leftAt?: number
  uploaded: number
  downloaded: number
  failedPieces: number
  /** The peer process ended by itself before finishing (a crash: see the `error` event). */
  failed?: boolean
  /** Final file equals the original (SHA-256), leechers that finished only. */
  intact?: boolean
  /** CPU time of its process (all threads) until the run ended, ms; undefined if it had exited. */
  cpuMs?: number
  /** Peak resident memory of its process, bytes. */
  peakRss?: number
}

/** One availability sample: how many leechers hold each piece. */
export interface AvailabilitySample {
  t: number
  /** Fewest copies of any piece among running leechers. */
  min: number
  mean: number
  /** Fraction of pieces at least one running leecher holds. */
  coverage: number
}

/** Outcome of one swarm run. */
export interface RunResult {
  scenario: string
  run: string
  /** Which repeat of the run this was (1-based). */
  repeat: number
  impl: string
  peers: PeerResult[]
  /** ms from run start until the last leecher that stayed finished (undefined if one did not). */
  completion?: number
  allDone: boolean
  stalled: boolean
  availability: AvailabilitySample[]
  /** First time every piece was held by some leecher: the swarm no longer needs the seeder. */
  independentAt?: number
  /** Pieces present among remaining peers right after the seeders left. */
  coverageAfterSeederLeft?: number
  bans: { by: string; peer: string; t: number }[]
  /** How peers found each other in this run. */
  discovery: Discovery
  /** Peers also used the DHT (bootstrapped from the lab's node D0). */
  dht: boolean
  /** ms from the swarm's zero when the tracker was killed. */
  trackerDiedAt?: number
  /** Fraction of the machine's CPU time busy from the swarm's zero to the end (all processes). */
  cpuBusy?: number
  /** The machine's 1-minute load average when the run ended (other work on the machine included). */
  load: number
  /** ms from the swarm's zero to the end of the run. */
  wallMs: number
  /** Settings each peer role reported at start (the report prints them per implementation). */
  settings: { seeder?: Record<string, unknown>; leecher?: Record<string, unknown> }
}

const SAMPLE_MS = 250
/** Announce interval the lab's tracker hands out, seconds (runs last tens of seconds). */
const TRACKER_INTERVAL_S = 30
/** How long the tracker process may take to listen. */
const TRACKER_START_MS = 30_000

interface Tracked {
  proc?: PeerProcess
  result: PeerResult
  have: Set<number>
  progress: number
  /** It said `done`: a seeder serves from then on, a leecher has finished. */
  seeding: boolean
  spec?: LeecherSpec
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
  const base = { scenario: spec.scenario, run: spec.run, repeat: spec.repeat ?? 1 }
  let t0 = log.now()
  const rel = () => log.now() - t0
  const hidden = spec.leechers.some((l) => (l.kind ?? 'public') !== 'public')
  const discovery: Discovery = net.mode === 'loopback' && hidden ? 'direct' : (spec.discovery ?? 'tracker')
  const settings: RunResult['settings'] = {}
  let trackerUrl: string | undefined
  let tracker: PeerProcess | undefined
  const withDht = spec.dht === true || discovery === 'dht'
  let dhtNode: PeerProcess | undefined
  let dhtAddress: string | undefined
  let trackerDiedAt: number | undefined
  const peers: Tracked[] = []
  const byAddress = new Map<string, string>()
  const bans: RunResult['bans'] = []
  const availability: AvailabilitySample[] = []
  let lastMove = 0
  const peerDir = (name: string) => join(workDir, spec.run.replace(/[^\w=-]+/g, '_'), name)
  log.add({
    ...base,
    type: 'run-start',
    impl: spec.impl,
    mode: net.mode,
    seeders: spec.seeders,
    leechers: spec.leechers.length,
    discovery,
  })

  // Every host is made before anything starts (a few processes for all of them), so leechers that arrive
  // together start together even at N = 50.
  const hostSpecs = [
    ...(discovery === 'tracker' ? [{ name: 'T0', kind: 'public' as const, caps: spec.caps }] : []),
    ...(withDht ? [{ name: 'D0', kind: 'public' as const, caps: spec.caps }] : []),
    ...Array.from({ length: spec.seeders }, (_, i) => ({
      name: `S${i}`,
      kind: 'public' as const,
      caps: spec.seederCaps ?? spec.caps,
    })),
    ...Array.from({ length: spec.hostile ?? 0 }, (_, i) => ({
      name: `X${i}`,
      kind: 'public' as const,
      caps: spec.caps,
    })),
    ...spec.leechers.map((ls, i) => ({ name: `L${i}`, kind: ls.kind ?? 'public', caps: spec.caps })),
  ]
  const hosts = new Map<string, LabHost>()
  const hostOf = async (name: string) => {
    if (hosts.size === 0) for (const h of await net.addHosts(hostSpecs)) hosts.set(h.name, h)
    return hosts.get(name)!
  }

  const start = async (name: string, role: PeerResult['role'], kind: HostKind, ls?: LeecherSpec) => {
    const host = await hostOf(name)
    const dir = peerDir(name)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    // A private copy (a reflink where the filesystem can) so no peer can alter another run's source.
    if (role !== 'leecher') {
      await copyFile(join(fixture.dir, fixture.name), join(dir, fixture.name), constants.COPYFILE_FICLONE)
    }
    const tracked: Tracked = {
      result: { name, role, kind, startAt: rel(), uploaded: 0, downloaded: 0, failedPieces: 0 },
      have: new Set(),
      progress: role === 'leecher' ? 0 : 1,
      seeding: false,
      spec: ls,
    }
    const running =
      discovery === 'direct' ? peers.filter((p) => p.proc?.running).map((p) => p.proc!.address) : []
    const onMessage = (m: PeerMessage) => handle(tracked, m)
    const impl: PeerImpl = role === 'hostile' ? 'hostile' : spec.impl
    const proc = new PeerProcess(
      name,
      impl,
      host,
      {
        torrent: fixture.torrent,
        dir,
        host: host.ip,
        port: host.port,
        peers: running,
        trackers: trackerUrl ? [trackerUrl] : undefined,
        seed: role !== 'leecher',
        uploadLimit: host.limits?.up,
        downloadLimit: host.limits?.down,
        strategy: spec.strategy,
        noIncoming: host.noIncoming,
        sampleMs: SAMPLE_MS,
        version: fixture.version,
        name: fixture.name,
        superSeed: role === 'seeder' && spec.superSeed === true,
        dhtBootstrap: dhtAddress ? [dhtAddress] : undefined,
        lsd: discovery === 'lsd',
        portMapping: kind === 'upnp',
        transports: spec.transports,
      },
      onMessage,
    )
    tracked.proc = proc
    byAddress.set(proc.address, name)
    peers.push(tracked)
    if (discovery === 'direct')
      for (const p of peers)
        if (p !== tracked && p.proc?.running) p.proc.send({ cmd: 'connect', peers: [proc.address] })
    log.add({ ...base, peer: name, type: 'peer-start', impl, role, kind, address: proc.address })
    void proc.exited.then((code) => {
      log.add({ ...base, peer: name, type: 'peer-exit', code })
      if (code !== 0 && code !== null && tracked.result.leftAt === undefined) {
        log.add({ ...base, peer: name, type: 'error', message: proc.stderr.slice(-1000) })
      }
    })
  }

  const handle = (p: Tracked, m: PeerMessage) => {
    const { type: _type, ...data } = m
    const name = p.result.name
    if (m.type === 'piece') {
      const from = ((m.peers as string[] | undefined) ?? []).map((a) => byAddress.get(a) ?? a)
      log.add({
        ...base,
        peer: name,
        type: 'piece',
        index: m.index,
        ok: m.ok,
        algorithm: m.algorithm,
        peers: from,
      })
      if (m.ok) {
        p.have.add(m.index as number)
        p.result.firstPieceAt ??= rel()
      } else p.result.failedPieces++
      lastMove = rel()
    } else if (m.type === 'progress') {
      p.progress = Number(m.progress)
      p.result.uploaded = Number(m.uploaded)
      p.result.downloaded = Number(m.downloaded)
      log.add({ ...base, peer: name, ...data, type: 'progress' })
    } else if (m.type === 'ready') {
      if (p.result.role !== 'hostile' && m.settings)
        settings[p.result.role] ??= m.settings as Record<string, unknown>
    } else if (m.type === 'done') {
      if (p.result.role === 'leecher' && p.result.doneAt === undefined) p.result.doneAt = rel()
      p.progress = 1
      p.seeding = true
      log.add({ ...base, peer: name, type: 'done' })
    } else if (m.type === 'ban') {
      const banned = byAddress.get(String(m.peer)) ?? String(m.peer)
      // libtorrent repeats the alert when the banned peer shows up again: log each ban once
      if (bans.some((b) => b.by === name && b.peer === banned)) return
      bans.push({ by: name, peer: banned, t: rel() })
      log.add({ ...base, peer: name, type: 'ban', banned, reason: m.reason })
    } else if (m.type === 'error' || m.type === 'warning') {
      log.add({ ...base, peer: name, type: m.type, message: m.message })
    }
  }

  const leechers = () => peers.filter((p) => p.result.role === 'leecher')
  const runningLeechers = () => leechers().filter((p) => p.proc?.running && p.result.leftAt === undefined)
  const seedersRunning = () => peers.some((p) => p.result.role === 'seeder' && p.proc?.running)
  const sample = (): AvailabilitySample => {
    const counts = new Array<number>(fixture.pieceCount).fill(0)
    for (const p of runningLeechers()) {
      for (const i of p.progress >= 1 ? counts.keys() : p.have) counts[i] = (counts[i] ?? 0) + 1
    }
    const covered = counts.filter((c) => c > 0).length
    return {
      t: rel(),
      min: Math.min(...counts),
      mean: counts.reduce((a, b) => a + b, 0) / counts.length,
      coverage: covered / counts.length,
    }
  }

  let stalled = false
  let coverageAfterSeederLeft: number | undefined
  let seederLeft = false
  let independentAt: number | undefined
  let cpuAtZero: CpuTimes | undefined
  let cpuBusy: number | undefined
  let wallMs = 0
  const startTracker = async () => {
    const host = await hostOf('T0')
    const protocol = spec.trackerProtocol ?? 'http'
    let ready: (url: string) => void = () => {}
    const listening = new Promise<string>((resolve) => {
      ready = resolve
    })
    tracker = new PeerProcess(
      'T0',
      'tracker',
      host,
      { host: host.ip, port: host.port, protocol, interval: TRACKER_INTERVAL_S },
      (m) => {
        if (m.type === 'ready') ready(String(m.url))
        else if (m.type === 'announce') {
          const from = `${m.host}:${m.port}`
          const { type: _type, host: _host, port: _port, ...data } = m
          log.add({ ...base, peer: byAddress.get(from) ?? from, type: 'announce', ...data })
        } else if (m.type === 'error' || m.type === 'warning')
          log.add({ ...base, peer: 'T0', type: m.type, message: m.message })
      },
    )
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`tracker did not listen: ${tracker?.stderr}`)),
        TRACKER_START_MS,
      ).unref(),
    )
    trackerUrl = await Promise.race([listening, tracker.exited.then(() => timeout), timeout])
    log.add({ ...base, peer: 'T0', type: 'tracker-start', url: trackerUrl, protocol })
  }
  /** The lab's DHT node D0 on its own host: the one address the peers join the DHT through. */
  const startDhtNode = async () => {
    const host = await hostOf('D0')
    let ready: (address: string) => void = () => {}
    const listening = new Promise<string>((resolve) => {
      ready = resolve
    })
    dhtNode = new PeerProcess('D0', 'dht', host, { host: host.ip, port: host.port }, (m) => {
      if (m.type === 'ready') ready(String(m.address))
      else if (m.type === 'dht-stats') log.add({ ...base, peer: 'D0', ...m })
      else if (m.type === 'error' || m.type === 'warning')
        log.add({ ...base, peer: 'D0', type: m.type, message: m.message })
    })
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`DHT node did not listen: ${dhtNode?.stderr}`)),
        TRACKER_START_MS,
      ).unref(),
    )
    dhtAddress = await Promise.race([listening, dhtNode.exited.then(() => timeout), timeout])
    log.add({ ...base, peer: 'D0', type: 'dht-start', address: dhtAddress })
  }
  /** Waits until every seeder serves (libtorrent checks its files first), then makes that the swarm's zero. */
  const seedersReady = async () => {
    const seeders = () => peers.filter((p) => p.result.role === 'seeder')
    while (seeders().some((p) => p.proc?.running && !p.seeding) && rel() < spec.timeoutMs)
      await new Promise((r) => setTimeout(r, 50))
    const shift = rel()
    t0 += shift
    for (const p of peers) p.result.startAt -= shift
    cpuAtZero = cpuTimes()
    log.add({ ...base, type: 'swarm-ready' })
  }
  try {
    if (discovery === 'tracker') await startTracker()
    if (withDht) await startDhtNode()
    for (let i = 0; i < spec.seeders; i++) await start(`S${i}`, 'seeder', 'public')
    for (let i = 0; i < (spec.hostile ?? 0); i++) await start(`X${i}`, 'hostile', 'public')
    await seedersReady()
    const pending = spec.leechers.map((ls, i) => ({ ls, name: `L${i}` }))
    const deadline = spec.timeoutMs
    for (;;) {
      signal?.throwIfAborted()
      const now = rel()
      while (
        pending.length > 0 &&
        (pending[0]!.ls.arriveAt ?? 0) <= now &&
        (!pending[0]!.ls.afterTrackerDies || trackerDiedAt !== undefined)
      ) {
        const { ls, name } = pending.shift()!
        await start(name, 'leecher', ls.kind ?? 'public', ls)
      }
      for (const p of runningLeechers()) {
        if (p.spec?.leaveAt !== undefined && p.spec.leaveAt <= now && p.result.doneAt === undefined) {
          p.result.leftAt = now
          log.add({ ...base, peer: p.result.name, type: 'leave' })
          void p.proc!.stop()
        }
      }
      const s = sample()
      availability.push(s)
      if (s.coverage >= 1 && leechers().length > 0) independentAt ??= s.t
      const ls = leechers()
      const meanProgress = ls.length ? ls.reduce((a, p) => a + p.progress, 0) / ls.length : 0
      const leaveNow =
        spec.seederLeaveAt === 'copy'
          ? s.coverage >= 1
          : spec.seederLeaveAt !== undefined && meanProgress >= spec.seederLeaveAt
      if (
        spec.trackerDiesAt !== undefined &&
        trackerDiedAt === undefined &&
        meanProgress >= spec.trackerDiesAt &&
        tracker
      ) {
        trackerDiedAt = now
        await tracker.kill()
        log.add({ ...base, peer: 'T0', type: 'tracker-dies', meanProgress })
      }
      if (!seederLeft && leaveNow) {
        seederLeft = true
        for (const p of peers)
          if (p.result.role === 'seeder' && p.proc?.running) {
            p.result.leftAt = now
            await p.proc.stop()
          }
        coverageAfterSeederLeft = sample().coverage
        log.add({ ...base, type: 'seeder-leave', meanProgress, coverage: coverageAfterSeederLeft })
      }
      for (const p of ls) {
        if (!p.proc?.running && p.result.doneAt === undefined && p.result.leftAt === undefined) {
          p.result.failed = true
          p.result.leftAt = now
        }
      }
      const waiting = ls.filter((p) => p.result.doneAt === undefined && p.result.leftAt === undefined)
      if (pending.length === 0 && waiting.length === 0) break
      if (
        !seedersRunning() &&
        s.coverage < 1 &&
        pending.length === 0 &&
        now - lastMove > (spec.stallMs ?? 5000)
      ) {
        stalled = true
        break
      }
      if (now > deadline) break
      await new Promise((r) => setTimeout(r, SAMPLE_MS))
    }
  } finally {
    cpuBusy = cpuAtZero && busyBetween(cpuAtZero, cpuTimes())
    wallMs = rel()
    await Promise.all(
      peers.map(async (p) => {
        const usage = await p.proc?.usage()
        p.result.cpuMs = usage?.cpuMs
        p.result.peakRss = usage?.peakRss
      }),
    )
    await Promise.all(peers.map((p) => p.proc?.stop()))
    await tracker?.stop()
    await dhtNode?.stop()
  }
  for (const p of leechers()) {
    if (p.result.doneAt !== undefined)
      p.result.intact = (await sha256File(join(peerDir(p.result.name), fixture.name))) === fixture.sha256
  }
  const staying = leechers().filter((p) => p.result.leftAt === undefined || p.result.failed)
  const allDone = staying.every((p) => p.result.doneAt !== undefined)
  const result: RunResult = {
    scenario: spec.scenario,
    run: spec.run,
    repeat: spec.repeat ?? 1,
    impl: spec.impl,
    peers: peers.map((p) => p.result),
    completion: allDone && staying.length ? Math.max(...staying.map((p) => p.result.doneAt!)) : undefined,
    allDone,
    stalled,
    availability,
    independentAt,
    coverageAfterSeederLeft,
    bans,
    discovery,
    dht: withDht,
    trackerDiedAt,
    settings,
    cpuBusy,
    load: loadavg()[0] ?? 0,
    wallMs,
  }
  log.add({ ...base, type: 'run-end', allDone, stalled, completion: result.completion })
  return result
}
