import { fill, type RequestsHost } from './block-requests.js'
import { updateInterest } from './peer-availability.js'
import type { Peer } from './torrent-state.js'
import type { Transfer } from './transfer.js'
import type { TurnHandlers, TurnWork } from './turn-work.js'
import { type UploadsHost, unchokeSpare } from './uploads.js'

/** What the turn's work reads of a torrent: requests top-ups, interest, `have` broadcasts, unchokes. */
export interface TurnHost extends RequestsHost, UploadsHost {
  readonly transfer: Transfer
  readonly work: TurnWork<Peer>
}

/** How a torrent applies the work its events marked (see `TurnWork`): once per I/O turn. */
export function turnHandlers(s: TurnHost): TurnHandlers<Peer> {
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
function announce(s: TurnHost, pieces: readonly number[]): void {
  if (s.destroyed) return
  for (const p of s.sessions) {
    if (!p.handshaken) continue
    for (const i of pieces) p.announceHave(i)
    if (p.amInterested) s.work.interest(p)
  }
}
