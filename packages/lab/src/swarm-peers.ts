import type { EventLog } from './event-log.js'
import type { PeerMessage, PeerProcess } from './peer-process.js'
import type { AvailabilitySample, LeecherSpec, PeerResult, RunResult } from './swarm-types.js'

/** The fields every event of one run carries. */
export interface RunTag {
  scenario: string
  run: string
  repeat: number
}

/** A run's clock: ms from the swarm's zero (the start until {@link RunClock.rezero} moves it). */
export class RunClock {
  readonly #log: EventLog
  #t0: number

  constructor(log: EventLog) {
    this.#log = log
    this.#t0 = log.now()
  }

  /** ms from the swarm's zero. */
  now(): number {
    return this.#log.now() - this.#t0
  }

  /** Makes this moment the swarm's zero; returns how far the zero moved, ms. */
  rezero(): number {
    const shift = this.now()
    this.#t0 += shift
    return shift
  }
}

/** One peer of a run as the controller follows it. */
export interface TrackedPeer {
  proc?: PeerProcess
  result: PeerResult
  have: Set<number>
  progress: number
  /** It said `done`: a seeder serves from then on, a leecher has finished. */
  seeding: boolean
  spec?: LeecherSpec
}

/** The peers of one run: their processes, what they reported, and who banned whom. */
export class SwarmPeers {
  readonly all: TrackedPeer[] = []
  readonly bans: RunResult['bans'] = []
  /** Settings each role reported first. */
  readonly settings: RunResult['settings'] = {}
  /** When a piece last arrived at any peer, ms from the swarm's zero. */
  lastMove = 0
  readonly #byAddress = new Map<string, string>()
  readonly #log: EventLog
  readonly #tag: RunTag
  readonly #clock: RunClock

  constructor(log: EventLog, tag: RunTag, clock: RunClock) {
    this.#log = log
    this.#tag = tag
    this.#clock = clock
  }

  /** Adds a peer whose process just started. */
  add(peer: TrackedPeer, proc: PeerProcess): void {
    peer.proc = proc
    this.#byAddress.set(proc.address, peer.result.name)
    this.all.push(peer)
  }

  /** The peer name of a `host:port` (the address itself for none of ours). */
  nameOf(address: string): string {
    return this.#byAddress.get(address) ?? address
  }

  /** Addresses of the peers whose processes run. */
  runningAddresses(): string[] {
    return this.all.filter((p) => p.proc?.running).map((p) => p.proc!.address)
  }

  /** Every leecher started so far. */
  leechers(): TrackedPeer[] {
    return this.all.filter((p) => p.result.role === 'leecher')
  }

  /** Every seeder. */
  seeders(): TrackedPeer[] {
    return this.all.filter((p) => p.result.role === 'seeder')
  }

  /** Leechers whose processes run and that did not leave. */
  runningLeechers(): TrackedPeer[] {
    return this.leechers().filter((p) => p.proc?.running && p.result.leftAt === undefined)
  }

  /** Whether a seeder's process still runs. */
  seedersRunning(): boolean {
    return this.all.some((p) => p.result.role === 'seeder' && p.proc?.running)
  }

  /** The leechers' mean progress (0 for none). */
  meanProgress(): number {
    const ls = this.leechers()
    return ls.length ? ls.reduce((a, p) => a + p.progress, 0) / ls.length : 0
  }

  /** How many running leechers hold each of `pieceCount` pieces, now. */
  sample(pieceCount: number): AvailabilitySample {
    const counts = new Array<number>(pieceCount).fill(0)
    for (const p of this.runningLeechers()) {
      for (const i of p.progress >= 1 ? counts.keys() : p.have) counts[i] = (counts[i] ?? 0) + 1
    }
    const covered = counts.filter((c) => c > 0).length
    return {
      t: this.#clock.now(),
      min: Math.min(...counts),
      mean: counts.reduce((a, b) => a + b, 0) / counts.length,
      coverage: covered / counts.length,
    }
  }

  /** Follows one message of peer `p`'s process (and logs it). */
  handle(p: TrackedPeer, m: PeerMessage): void {
    const name = p.result.name
    if (m.type === 'piece') this.#piece(p, m)
    else if (m.type === 'progress') {
      const { type: _type, ...data } = m
      p.progress = Number(m.progress)
      p.result.uploaded = Number(m.uploaded)
      p.result.downloaded = Number(m.downloaded)
      this.#add(name, { ...data, type: 'progress' })
    } else if (m.type === 'ready') {
      if (p.result.role !== 'hostile' && m.settings)
        this.settings[p.result.role] ??= m.settings as Record<string, unknown>
    } else if (m.type === 'done') {
      if (p.result.role === 'leecher' && p.result.doneAt === undefined) p.result.doneAt = this.#clock.now()
      p.progress = 1
      p.seeding = true
      this.#add(name, { type: 'done' })
    } else if (m.type === 'ban') this.#ban(name, m)
    else if (m.type === 'error' || m.type === 'warning') this.#add(name, { type: m.type, message: m.message })
  }

  #piece(p: TrackedPeer, m: PeerMessage): void {
    const from = ((m.peers as string[] | undefined) ?? []).map((a) => this.nameOf(a))
    this.#add(p.result.name, { type: 'piece', index: m.index, ok: m.ok, algorithm: m.algorithm, peers: from })
    if (m.ok) {
      p.have.add(m.index as number)
      p.result.firstPieceAt ??= this.#clock.now()
    } else p.result.failedPieces++
    this.lastMove = this.#clock.now()
  }

  #ban(by: string, m: PeerMessage): void {
    const banned = this.nameOf(String(m.peer))
    // libtorrent repeats the alert when the banned peer shows up again: log each ban once
    if (this.bans.some((b) => b.by === by && b.peer === banned)) return
    this.bans.push({ by, peer: banned, t: this.#clock.now() })
    this.#add(by, { type: 'ban', banned, reason: m.reason })
  }

  #add(peer: string, event: { type: string; [key: string]: unknown }): void {
    this.#log.add({ ...this.#tag, peer, ...event })
  }
}
