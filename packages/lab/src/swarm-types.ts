import type { HostCaps, HostKind } from './netns.js'
import type { PeerImpl, PeerTransport, Strategy } from './peer-process.js'

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
