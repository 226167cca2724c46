import { formatPeer } from '@p2p/peer-address'
import type { Handshake, Wire } from '@p2p/peer-wire'
import { announceNothing, announcePieces } from './announce-pieces.js'
import { pexSoon } from './pex.js'
import { startSuperSeeding } from './seeding.js'
import type { Peer, TorrentState } from './torrent-state.js'

/**
 * A peer's handshake arrived: the connection closes when it is ourselves, a banned peer, or a second
 * connection to a peer we are connected to; else the peer is handshaken and hears what we have.
 */
export function admit(s: TorrentState, peer: Peer, h: Handshake, wire: Wire): void {
  const id = Buffer.from(h.peerId).toString('hex')
  if (Buffer.from(s.ctx.peerId).equals(Buffer.from(h.peerId))) {
    if (peer.listen) s.book.never(peer.listen)
    peer.close()
    return
  }
  if (s.banned.has(id) || s.banned.has(formatPeer(peer.addr))) {
    peer.close()
    return
  }
  for (const other of s.peers) {
    const otherId = other.peerId
    if (other !== peer && other.handshaken && otherId && Buffer.from(otherId).toString('hex') === id) {
      // Both sides dialed each other: keep the connection opened by the lower peer id, so both
      // ends drop the same one.
      const weDialKeep = Buffer.compare(Buffer.from(s.ctx.peerId), Buffer.from(h.peerId)) < 0
      if (peer.incoming !== other.incoming && peer.incoming === !weDialKeep) {
        other.close()
        break
      }
      peer.close()
      return
    }
  }
  peer.handshaken = true
  // Super-seeding: the peer hears of a few pieces at a time instead (no allowed-fast set either).
  if (!startSuperSeeding(s, peer)) {
    if (s.core) announcePieces(s.core, s.infoHashBytes, peer)
    else announceNothing(peer)
  }
  pexSoon(s)
  s.emit('wire', wire, peer.addr)
}
