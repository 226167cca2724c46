import type { RunCost } from './run-meter.js'
/** A host of the piece-level model: its access link. */
export interface PieceHost {
  /** Upload capacity, bytes per second. */
  up: number
  /** Download capacity, bytes per second. */
  down: number
  /** One-way delay to the network, ms (a path's delay is the sum of its two ends'). */
  latencyMs: number
}

/** How leechers arrive: all at time 0 (a flash crowd) or as a Poisson process. */
export type PieceArrivals =
  | { kind: 'flash' }
  | { kind: 'poisson' /** Mean time until all arrived, ms. */; windowMs: number }

/** Options of {@link PieceSwarm}. */
export interface PieceSwarmOptions {
  /** Everything random in the run is drawn from it. */
  seed: number
  /** File size, bytes. */
  size: number
  /** Pieces of the file (the last one takes what is left of `size`). */
  pieces: number
  /** Links of the initial seeders (present from time 0 to the end). */
  seeders: PieceHost[]
  /** Number of leechers. */
  leechers: number
  /** Link of leecher `i`, drawn when it arrives. */
  leecherLink: (i: number, random: () => number) => PieceHost
  arrivals: PieceArrivals
  /**
   * Churn: each leecher leaves unfinished with probability `leave` (at an exponential time of mean
   * `leaveMeanMs` after it arrived), and a finished one seeds for an exponential time of mean
   * `seedMeanMs`, then leaves. Without churn every leecher stays to the end.
   */
  churn?: { leave: number; leaveMeanMs: number; seedMeanMs: number }
  /** Peers the tracker returns per announce (default 50). */
  numwant?: number
  /** Connections per peer (default 50). */
  maxConnections?: number
  /** Virtual time between a peer's announces, ms (default 120 000). */
  announceMs?: number
  /** Upload slots of each peer's `Choker` (default the swarm's `DEFAULT_UPLOAD_SLOTS`). */
  uploadSlots?: number
  /** Give up after this much virtual time, ms (default 6 h). */
  limitMs?: number
  /** Piece availability and traced peers' progress are sampled every this much virtual time, ms. */
  sampleMs: number
  /** Leechers whose progress is kept as a time series (default 20, evenly spread). */
  tracedPeers?: number
  /** Called about every second of wall time while it runs. */
  onProgress?: (p: PieceSwarmProgress) => void
}

/** A running model's state, for progress lines. */
export interface PieceSwarmProgress {
  virtualMs: number
  events: number
  arrived: number
  done: number
  left: number
  /** Transfers under way. */
  flows: number
  wallMs: number
  heapMB: number
  rssMB: number
}

/** Copies of pieces among the leechers present, at one time. */
export interface PieceAvailability {
  t: number
  present: number
  /** Fewest, mean and most copies of a piece over the leechers present (fractions 0..1). */
  min: number
  mean: number
  max: number
}

/** What a {@link PieceSwarm} run produced (times in virtual ms, NaN for what did not happen). */
export interface PieceSwarmResult extends RunCost {
  arriveAt: Float64Array
  firstPieceAt: Float64Array
  doneAt: Float64Array
  leftAt: Float64Array
  /** Bytes each leecher uploaded and downloaded (endgame duplicates and cut-off blocks included). */
  uploaded: Float64Array
  downloaded: Float64Array
  /** Drawn capacities of each leecher, bytes per second. */
  up: Float64Array
  down: Float64Array
  /** Bytes the initial seeders uploaded, together. */
  seederUploaded: number
  /** Bytes received that a leecher already had (endgame duplicates, cut-off partial blocks). */
  wasted: number
  availability: PieceAvailability[]
  /** Progress of a few leechers over time: [t, fraction of pieces]. */
  traces: { peer: number; points: [number, number][] }[]
  /** Pieces completed by leechers (summed over the leechers). */
  pieces: number
  /** Last time a staying leecher finished (undefined when one did not). */
  completion?: number
}
