import type { PeerAddress } from '@p2p/peer-address'
import { PEX_MAX_PER_MESSAGE } from '@p2p/peer-wire'
import { forgetRelay, noteRelay } from './holepunch.js'
import { admit } from './peer-admission.js'
import { onDonthave, onHave, onPieces } from './peer-availability.js'
import type { PeerSessionEvents } from './peer-session.js'
import { serveHashRequest } from './piece-layers.js'
import type { Peer, TorrentState } from './torrent-state.js'
import { serve } from './uploads.js'

/** What a connection's events report back to the connection manager (which owns dialing and closing). */
export interface ConnectionHooks {
  /** The peer told us of `addr` (PEX). */
  learned(addr: PeerAddress): void
  /** The connection closed (`err`: why, when it was not a clean close). */
  closed(err?: Error): void
}

/** What a new connection's events do to the torrent. */
export function peerEvents(s: TorrentState, peer: Peer, hooks: ConnectionHooks): PeerSessionEvents {
  // Before the metadata a peer's pieces stay on its wire: they are counted when the core exists.
  const pieces = () => {
    if (s.core) onPieces(s.core, peer, true)
    s.work.interest(peer)
  }
  return {
    handshake: (h, wire) => admit(s, peer, h, wire),
    'extended-handshake': (ext) => {
      const p = ext.p
      if (peer.incoming && typeof p === 'number' && p > 0 && p < 65536) {
        s.dialer.book.connected(peer.learnListenPort(p), 'incoming')
        s.pex.soon()
      }
      if (!s.meta) s.fetchMetadata(peer)
    },
    // Some clients (aria2) send a second availability message: it replaces the first.
    bitfield: () => {
      s.superSeeding.pieces(peer)
      pieces()
    },
    'have-all': () => {
      peer.setHaveAll(true)
      s.superSeeding.pieces(peer)
      pieces()
    },
    'have-none': () => {
      peer.setHaveAll(false)
      pieces()
    },
    have: (i) => {
      if (s.core) onHave(s.core, peer, i)
      s.superSeeding.have(peer, i)
      s.work.interest(peer)
    },
    donthave: (i) => {
      // After have-all the wire holds every piece but `i`: that is what the peer has from now on.
      peer.setHaveAll(false)
      if (s.core) onDonthave(s.core, peer, i)
      s.work.interest(peer)
    },
    unchoke: () => s.work.topUp(peer),
    choke: () => {
      // Under the fast extension a choke leaves our requests open (the peer still answers each, with
      // the block or a reject, BEP 6), but they now go to other peers: cancel them, so a late block is
      // dropped instead of being copied into a piece buffer that may hold another piece by then.
      s.core?.release(peer, peer.fast)
      s.work.topUpAll()
    },
    'allowed-fast': (i) => {
      peer.addAllowedFast(i)
      s.work.topUp(peer)
    },
    suggest: (i) => {
      peer.addSuggested(i)
    },
    interested: () => s.work.unchoke(),
    uninterested: () => s.work.unchoke(),
    request: (req) => void serve(s, peer, req),
    'hash-request': (req) => serveHashRequest(s.meta, peer, req),
    pex: (e) => {
      if (s.meta?.private) return // BEP 27: peers of a private torrent come from its trackers only
      for (const a of e.added.slice(0, PEX_MAX_PER_MESSAGE)) {
        hooks.learned(a)
        noteRelay(s, a, peer)
      }
      for (const a of e.dropped) forgetRelay(peer, a)
    },
    port: (port) => {
      // BEP 5: a peer that set the DHT bit tells its DHT port; a private torrent never uses the DHT.
      if (!peer.peerDht || s.meta?.private || port === 0 || port === peer.dhtPort) return
      peer.learnDhtPort(port)
      s.emit('dht-node', { host: peer.addr.host, port })
    },
    close: (err) => hooks.closed(err),
  }
}
