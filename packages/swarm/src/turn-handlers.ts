import { fill } from './block-requests.js'
import { updateInterest } from './peer-availability.js'
import type { Peer, TorrentState } from './torrent-state.js'
import type { TurnHandlers } from './turn-work.js'
import { unchokeSpare } from './uploads.js'

/** How a torrent applies the work its events marked (see `TurnWork`): once per I/O turn. */
export function turnHandlers(s: TorrentState): TurnHandlers<Peer> {
  return {
    announce: (pieces) => announce(s, pieces),
    interest: (peer) => {
      // Before the metadata there is nothing to be interested in.
      if (s.core && s.sessions.has(peer)) updateInterest(s.core, s.work, peer)
    },
    topUp: (peer) => {
      if (s.sessions.has(peer)) fill(s, peer)
    },
    peers: () => s.sessions,
    unchoke: () => unchokeSpare(s),
  }
}

/** Tells every peer of our new pieces; those we were interested in may have nothing left for us. */
function announce(s: TorrentState, pieces: readonly number[]): void {
  if (s.destroyed) return
  for (const p of s.sessions) {
    if (!p.handshaken) continue
    for (const i of pieces) p.announceHave(i)
    if (p.amInterested) s.work.interest(p)
  }
}
