import { allowedFastSet } from '@p2p/peer-wire'
import type { TorrentCore } from './torrent-core.js'
import type { Peer } from './torrent-state.js'

/** Pieces offered in the allowed-fast set (BEP 6 suggests 10). */
const ALLOWED_FAST_COUNT = 10

/** Tells a new peer that we have nothing yet (before the metadata, or while super-seeding). */
export function announceNothing(peer: Peer): void {
  if (peer.fast) peer.announceHaveNone()
}

/**
 * Tells a new peer what we have (and, with the fast extension, its allowed-fast set). `infoHash`:
 * the 20 bytes the allowed-fast set is derived from.
 */
export function announcePieces({ picker }: TorrentCore, infoHash: Uint8Array, peer: Peer): void {
  const fast = peer.fast
  const had = picker.have.count()
  if (had === 0) return announceNothing(peer)
  if (picker.have.full() && fast) peer.announceHaveAll()
  else peer.announceBitfield(picker.have.buffer, picker.pieceCount)
  // BEP 6: a few pieces the peer may fetch while choked, so a new peer gets its first pieces soon.
  if (!fast) return
  try {
    for (const i of allowedFastSet(peer.addr.host, infoHash, picker.pieceCount, ALLOWED_FAST_COUNT)) {
      if (picker.have.get(i)) peer.allowFast(i)
    }
  } catch {
    // an address the generator does not take
  }
}
