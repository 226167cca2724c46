import type { Handshake, Wire } from '@p2p/peer-wire'
import { announceNothing, announcePieces } from './announce-pieces.js'
import type { Dialer } from './dialer.js'
import type { PeerSession as Peer } from './peer-session.js'
import type { Pex } from './pex.js'
import type { SuperSeeding } from './seeding.js'
import type { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import type { EmitFn } from './torrent-types.js'

/** What admitting a handshaken peer reads of a torrent. */
export interface AdmissionHost {
  readonly sessions: Pick<Sessions, 'admit'>
  readonly dialer: Pick<Dialer, 'book'>
  readonly superSeeding: Pick<SuperSeeding, 'start'>
  readonly core: TorrentCore | undefined
  readonly infoHashBytes: Uint8Array
  readonly pex: Pick<Pex, 'soon'>
  readonly emit: EmitFn
}

/**
 * A peer's handshake arrived: the connection closes when it is ourselves (never dialled again), a
 * banned peer, or a second connection to a peer we are connected to (see `Sessions.admit`); else the
 * peer is handshaken and hears what we have.
 */
export function admit(s: AdmissionHost, peer: Peer, h: Handshake, wire: Wire): void {
  const verdict = s.sessions.admit(peer, h.peerId)
  if (verdict !== 'ok') {
    if (verdict === 'self' && peer.listen) s.dialer.book.never(peer.listen)
    peer.close()
    return
  }
  // Super-seeding: the peer hears of a few pieces at a time instead (no allowed-fast set either).
  if (!s.superSeeding.start(s.core, peer)) {
    if (s.core) announcePieces(s.core, s.infoHashBytes, peer)
    else announceNothing(peer)
  }
  s.pex.soon()
  s.emit('wire', wire, peer.addr)
}
