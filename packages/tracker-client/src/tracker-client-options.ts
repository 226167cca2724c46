import type { PeerAddress } from '@p2p/peer-address'
import type { OneShotOptions } from './announce.js'
import type { TrackerClientError } from './errors.js'
import type { AnnounceParams, AnnounceResponse } from './types.js'

/** Default time allowed for one tracker before the next one is tried, ms. */
export const DEFAULT_TRACKER_TIMEOUT_MS = 15_000
/** Default bound on sending `stopped` when stopping, ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 5_000
/** Default first retry delay after every tracker failed, ms (doubles on each failure). */
export const DEFAULT_RETRY_INITIAL_MS = 15_000
/** Default longest retry delay, ms. */
export const DEFAULT_RETRY_MAX_MS = 30 * 60_000
/** Default shortest re-announce interval accepted from a tracker, seconds (a hostile `interval: 0` cannot make us hammer it). */
export const DEFAULT_MIN_ANNOUNCE_INTERVAL_S = 30
/** Longest re-announce interval honoured, seconds (one day; also keeps timers in range). */
export const MAX_ANNOUNCE_INTERVAL_S = 86_400
/** Default number of peers asked for. */
export const DEFAULT_NUMWANT = 50

/** The one-shot announce function {@link TrackerClient} calls (injectable for tests and custom transports). */
export type Announcer = (
  url: string,
  params: AnnounceParams,
  options: OneShotOptions,
) => Promise<AnnounceResponse>

/** Transfer numbers reported to trackers. */
export interface TransferStats {
  /** Bytes uploaded so far. */
  uploaded?: number | bigint
  /** Bytes downloaded so far. */
  downloaded?: number | bigint
  /** Bytes still missing (0 when seeding). */
  left?: number | bigint
}

/** Options of {@link TrackerClient}. */
export interface TrackerClientOptions extends TransferStats {
  /** The 20-byte info hash. */
  infoHash: Uint8Array
  /** Our 20-byte peer id. */
  peerId: Uint8Array
  /** The TCP port we accept peers on. */
  port: number
  /** Tiers of tracker URLs (BEP 12 `announce-list`, or `[[announce]]`). */
  announce: readonly (readonly string[])[]
  /** Peers asked for per announce. Default 50. */
  numwant?: number
  /** The session key (BEP 7/15). Default: random 32 bits. */
  key?: number
  /** Time allowed per tracker, ms. Default 15 s. */
  timeout?: number
  /** Bound on sending `stopped` in {@link TrackerClient.stop}, ms. Default 5 s. */
  stopTimeout?: number
  /** Back-off after a round where every tracker failed: `initialMs * 2^(failures-1)` up to `maxMs`, ±10 % jitter. */
  retry?: { initialMs?: number; maxMs?: number }
  /** Shortest re-announce interval accepted, seconds. Default 30. */
  minAnnounceInterval?: number
  /** Stops the client without sending `stopped` (a teardown); use {@link TrackerClient.stop} for a clean stop. */
  signal?: AbortSignal
  /** Options passed to every request (UDP retransmission, response bounds, UDP transport...). */
  requestOptions?: Omit<OneShotOptions, 'signal' | 'timeout'>
  /** The announce function. Default: {@link announce}. */
  announcer?: Announcer
  /** `[0, 1)` random source for shuffling tiers and jitter. Default `Math.random`. */
  random?: () => number
}

/** An announce answer with the tracker it came from. */
export type TrackerUpdate = AnnounceResponse & {
  /** The tracker that answered. */
  url: string
}

/** A non-fatal report: a tracker's `warning message`, or one tracker failing while others may still answer. */
export interface TrackerWarning {
  /** The tracker concerned. */
  url: string
  /** Human-readable text. */
  message: string
  /** The failure, when this warning is one tracker failing. */
  error?: TrackerClientError
}

/**
 * Events of {@link TrackerClient}:
 * - `peers` (peers, url): peers from an announce answer (only when there are some);
 * - `update` (update): every successful announce, with interval and swarm numbers;
 * - `warning` (warning): a tracker's warning message, or one tracker of the walk failing;
 * - `error` (error): a whole round failed (`TRACKER_ALL_FAILED`, `cause` = last failure); the client
 *   retries with back-off. Unlike Node's emitter, an unheard `error` does not throw.
 */
export type TrackerClientEvents = {
  /** Peers from an announce answer. */
  peers: (peers: PeerAddress[], url: string) => void
  /** A successful announce. */
  update: (update: TrackerUpdate) => void
  /** A non-fatal report. */
  warning: (warning: TrackerWarning) => void
  /** A round in which every tracker failed. */
  error: (error: TrackerClientError) => void
}
