import type { Trackers } from './announce.js'
import { every, type SwarmRuntime } from './runtime.js'
import type { TimerStops } from './timer-stops.js'
import type { AddOptions, EmitFn } from './torrent-types.js'

/** Least time between two `download` (or `upload`) events of a torrent, ms. */
export const TRANSFER_EVENT_INTERVAL_MS = 500
/** Default time without a connected peer or a working web seed before `noPeers`, ms. */
export const DEFAULT_NO_PEERS_MS = 5_000

/** What the UI events read of a torrent. */
export interface UiEventsHost {
  readonly rt: Pick<SwarmRuntime, 'clock'>
  readonly opts: Pick<AddOptions, 'noPeersTimeout'>
  readonly transfer: { readonly downloaded: number; readonly uploaded: number }
  readonly sessions: Iterable<{ readonly handshaken: boolean }>
  readonly selection: { readonly finished: boolean }
  readonly paused: boolean
  readonly trackers: Pick<Trackers, 'running' | 'count'>
  readonly dialer: { readonly book: { readonly size: number } }
  readonly emit: EmitFn
  /** Where the timer's stop goes. */
  readonly timers: Pick<TimerStops, 'add'>
}

/**
 * Starts the torrent's UI events: `download`/`upload` with the bytes moved since the last one (at most
 * one each per {@link TRANSFER_EVENT_INTERVAL_MS}), and `noPeers` once the torrent, still wanting data,
 * has had no connected peer for `noPeersTimeout` (again after each peer it then had and lost).
 */
export function startUiEvents(s: UiEventsHost, webSeedsInUse: () => number): void {
  const clock = s.rt.clock
  const { transfer } = s
  let down = transfer.downloaded
  let up = transfer.uploaded
  let lastPeer = clock.now()
  let told = false
  const quiet = s.opts.noPeersTimeout ?? DEFAULT_NO_PEERS_MS
  s.timers.add(
    every(clock, TRANSFER_EVENT_INTERVAL_MS, () => {
      if (transfer.downloaded > down) s.emit('download', transfer.downloaded - down)
      if (transfer.uploaded > up) s.emit('upload', transfer.uploaded - up)
      down = transfer.downloaded
      up = transfer.uploaded
      const now = clock.now()
      const connected = [...s.sessions].some((p) => p.handshaken)
      if (connected || s.selection.finished || s.paused) {
        lastPeer = now
        told = false
      } else if (!told && now - lastPeer >= quiet) {
        told = true
        s.emit('noPeers', {
          trackers: s.trackers.running ? s.trackers.count : 0,
          knownPeers: s.dialer.book.size,
          webSeeds: webSeedsInUse(),
          sinceMs: now - lastPeer,
        })
      }
    }),
  )
}
