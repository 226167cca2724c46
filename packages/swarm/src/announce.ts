import { TrackerClient } from '@p2p/tracker-client'
import { addPeer } from './peer-connections.js'
import type { TorrentState } from './torrent-state.js'

/**
 * Starts announcing to the extra tiers given at add time, then the torrent's own (each URL once).
 * Peers the trackers return are dialed.
 */
export function startTracker(s: TorrentState): void {
  const seen = new Set<string>()
  const tiers = [
    ...announceTiers(s.opts.announce),
    ...(s.meta?.announce.length ? s.meta.announce : s.src.trackers),
  ]
    .map((tier) => tier.filter((u) => !seen.has(u) && seen.add(u)))
    .filter((tier) => tier.length)
  if (!tiers.length) return
  try {
    s.tracker = new TrackerClient({
      infoHash: s.infoHashBytes,
      peerId: s.ctx.peerId,
      port: s.ctx.port(),
      announce: tiers,
      left: s.selection.left(),
      stopTimeout: 2_000,
    })
  } catch (err) {
    s.emit('warning', { message: `trackers unusable: ${(err as Error).message}`, error: err })
    return
  }
  s.tracker.on('peers', (peers) => {
    for (const p of peers) addPeer(s, p, 'tracker')
  })
  s.tracker.on('warning', (w) => {
    s.emit('warning', { message: `tracker ${w.url}: ${w.message}`, error: w.error })
    if (w.error) s.emit('trackerError', { url: w.url, message: w.message, error: w.error })
  })
  s.tracker.on('update', (u) =>
    s.emit('trackerReply', {
      url: u.url,
      peers: u.peers.length,
      complete: u.complete,
      incomplete: u.incomplete,
      interval: u.interval,
    }),
  )
  s.tracker.on('error', (e) => s.emit('warning', { message: `trackers failed: ${e.message}`, error: e }))
  s.tracker.start()
}

/** Tracker tiers from the `announce` option: tiers as they are, one URL as a tier of its own. */
export function announceTiers(announce: string[][] | string | undefined): string[][] {
  return typeof announce === 'string' ? [[announce]] : (announce ?? [])
}
