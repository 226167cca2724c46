import { allowedFastSet } from '@p2p/peer-wire'
import { startSuperSeeding } from './seeding.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** Pieces offered in the allowed-fast set (BEP 6 suggests 10). */
const ALLOWED_FAST_COUNT = 10

/** Tells a new peer what we have (and, with the fast extension, its allowed-fast set). */
export function announcePieces(s: TorrentState, peer: Peer): void {
  // Super-seeding: the peer hears of a few pieces at a time instead (no allowed-fast set either).
  if (startSuperSeeding(s, peer)) return
  const picker = s.core?.picker
  const fast = peer.fast
  if (!picker || picker.have.count() === 0) {
    if (fast) peer.announceHaveNone()
  } else if (picker.have.full() && fast) {
    peer.announceHaveAll()
  } else {
    peer.announceBitfield(picker.have.buffer, picker.pieceCount)
  }
  // BEP 6: a few pieces the peer may fetch while choked, so a new peer gets its first pieces soon.
  if (fast && picker && picker.have.count() > 0) {
    try {
      for (const i of allowedFastSet(
        peer.addr.host,
        s.infoHashBytes,
        picker.pieceCount,
        ALLOWED_FAST_COUNT,
      )) {
        if (picker.have.get(i)) peer.allowFast(i)
      }
    } catch {
      // an address the generator does not take
    }
  }
}
