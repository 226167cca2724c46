import { formatPeer } from '@p2p/peer-address'
import type { TorrentState } from './torrent-state.js'

/** Interval between PEX rounds. */
export const PEX_INTERVAL_MS = 60_000

/** Tells peers about each other soon after a connection (the wire then paces ut_pex itself). */
export function pexSoon(s: TorrentState): void {
  if (s.pexTimer || s.destroyed) return
  s.pexTimer = setTimeout(() => {
    s.pexTimer = undefined
    if (!s.destroyed) sendPex(s)
  }, 500)
  s.pexTimer.unref?.()
}

/** Sends each peer the connected peers it has not been told about yet (at most 50 a round). */
export function sendPex(s: TorrentState): void {
  const all = s.book.connectedPeers()
  for (const p of s.peers) {
    if (!p.handshaken) continue
    const added = all
      .filter((a) => !p.pexSent.has(formatPeer(a)) && formatPeer(a) !== formatPeer(p.listen ?? p.addr))
      .slice(0, 50)
    if (!added.length) continue
    try {
      p.wire.sendPex({ added, dropped: [] })
      for (const a of added) p.pexSent.add(formatPeer(a))
    } catch {
      // the peer does not speak ut_pex
    }
  }
}
