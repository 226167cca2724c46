import { constants } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventLog } from './event-log.js'
import { type Fixture, sha256File } from './fixture.js'
import type { HostNetwork } from './hosts.js'
import type { HostCaps, HostKind } from './netns.js'
import { type PeerImpl, type PeerMessage, PeerProcess, type Strategy } from './peer-process.js'

/** One leecher of a run: where it sits, when it arrives and (optionally) leaves unfinished. */
export interface LeecherSpec {
  kind?: HostKind
  /** ms after the run starts (default 0). */
  arriveAt?: number
  /** ms after the run starts at which it leaves, finished or not. */
  leaveAt?: number
}

/** Everything one swarm run needs. */
export interface SwarmSpec {
  scenario: string
  run: string
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
}

/** What happened to one peer of a run (times in ms from the run start). */
export interface PeerResult {
  name: string
  role: 'seeder' | 'leecher' | 'hostile'
  kind: HostKind
  startAt: number
  doneAt?: number
  leftAt?: number
  uploaded: number
  downloaded: number
  failedPieces: number
  /** The peer process ended by itself before finishing (a crash: see the `error` event). */
  failed?: boolean
  /** Final file equals the original (SHA-256), leechers that finished only. */
  intact?: boolean
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
}

const SAMPLE_MS = 250

interface Tracked {
  proc?: PeerProcess
  result: PeerResult
  have: Set<number>
  progress: number
  spec?: LeecherSpec
}

/**
 * Runs one swarm to the end: seeders (and hostile peers) first, leechers at their arrival times, each
 * told the addresses of the peers already running (the lab's stand-in for a tracker announce), until
 * every staying leecher is done, the swarm stalls, or `timeoutMs` passes. Stops every peer it started.
 */
export async function runSwarm(
  spec: SwarmSpec,
  net: HostNetwork,
  fixture: Fixture,
  log: EventLog,
  workDir: string,
  signal?: AbortSignal,
): Promise<RunResult> {
  const base = { scenario: spec.scenario, run: spec.run }
  const t0 = log.now()
  const rel = () => log.now() - t0
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
  })

  const start = async (name: string, role: PeerResult['role'], kind: HostKind, ls?: LeecherSpec) => {
    const caps = role === 'seeder' && spec.seederCaps ? spec.seederCaps : spec.caps
    const host = await net.addHost(name, kind, caps)
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
      spec: ls,
    }
    const running = peers.filter((p) => p.proc?.running).map((p) => p.proc!.address)
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
        seed: role !== 'leecher',
        uploadLimit: host.limits?.up,
        downloadLimit: host.limits?.down,
        strategy: spec.strategy,
        noIncoming: host.noIncoming,
        sampleMs: SAMPLE_MS,
        version: fixture.version,
        name: fixture.name,
        superSeed: role === 'seeder' && spec.superSeed === true,
      },
      onMessage,
    )
    tracked.proc = proc
    byAddress.set(proc.address, name)
    peers.push(tracked)
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
      if (m.ok) p.have.add(m.index as number)
      else p.result.failedPieces++
      lastMove = rel()
    } else if (m.type === 'progress') {
      p.progress = Number(m.progress)
      p.result.uploaded = Number(m.uploaded)
      p.result.downloaded = Number(m.downloaded)
      log.add({ ...base, peer: name, ...data, type: 'progress' })
    } else if (m.type === 'done') {
      if (p.result.role === 'leecher' && p.result.doneAt === undefined) p.result.doneAt = rel()
      p.progress = 1
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
  try {
    for (let i = 0; i < spec.seeders; i++) await start(`S${i}`, 'seeder', 'public')
    for (let i = 0; i < (spec.hostile ?? 0); i++) await start(`X${i}`, 'hostile', 'public')
    const pending = spec.leechers.map((ls, i) => ({ ls, name: `L${i}` }))
    const deadline = spec.timeoutMs
    for (;;) {
      signal?.throwIfAborted()
      const now = rel()
      while (pending.length > 0 && (pending[0]!.ls.arriveAt ?? 0) <= now) {
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
    await Promise.all(peers.map((p) => p.proc?.stop()))
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
    impl: spec.impl,
    peers: peers.map((p) => p.result),
    completion: allDone && staying.length ? Math.max(...staying.map((p) => p.result.doneAt!)) : undefined,
    allDone,
    stalled,
    availability,
    independentAt,
    coverageAfterSeederLeft,
    bans,
  }
  log.add({ ...base, type: 'run-end', allDone, stalled, completion: result.completion })
  return result
}
