import { parseTorrent } from '@p2p/metainfo'
import { formatPeer } from '@p2p/peer-address'
import { fetchPieceLayers, missingPieceLayers } from './piece-layers.js'
import { setup } from './torrent-setup.js'
import type { Peer, TorrentState } from './torrent-state.js'

/** Fetches the info dict from a peer (ut_metadata, for magnets), then from the next peer on failure. */
export async function fetchMetadata(s: TorrentState, peer: Peer): Promise<void> {
  if (s.fetchingMetadata || s.meta) return
  s.fetchingMetadata = true
  try {
    const info = await peer.wire.fetchMetadata()
    if (s.meta || s.destroyed) return
    const torrent = new Uint8Array(info.length + 8)
    torrent.set(new TextEncoder().encode('d4:info'), 0)
    torrent.set(info, 7)
    torrent[torrent.length - 1] = 0x65 // 'e'
    const meta = parseTorrent(torrent)
    if (s.src.trackers.length && meta.announce.length === 0) meta.announce = s.src.trackers
    // A v2-only torrent's piece layers are outside the info dict: ask peers for them (BEP 52).
    if (missingPieceLayers(meta).length) await fetchPieceLayers(s, meta, peer)
    if (s.meta || s.destroyed) return
    await setup(s, meta)
  } catch (err) {
    s.emit('warning', {
      message: `metadata from ${formatPeer(peer.addr)} failed: ${(err as Error).message}`,
      error: err,
    })
  } finally {
    s.fetchingMetadata = false
  }
  if (!s.meta) {
    for (const p of s.peers) if (p !== peer && p.handshaken) return void fetchMetadata(s, p)
  }
}
