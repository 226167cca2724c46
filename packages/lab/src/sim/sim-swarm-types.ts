import type { RunCost } from '@p2p/sim'
import type { HostCaps } from '../netns.js'
import type { DrawnLink, LinkModel } from './capacities.js'

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

/** Real bytes of a piece in the simulation: one block. Every piece of the file is carried as one. */
export const SIM_BLOCK = 16_384
/** Seeders' link when the spec gives none: 5 Mbit/s up, 10 Mbit/s down, 20 ms. */
export const DEFAULT_SEEDER_LINK: DrawnLink = {
  latencyMs: 20,
  loss: 0,
  bytesPerSecond: 625_000,
  downBytesPerSecond: 1_250_000,
}
