import { type Metainfo, parseTorrent } from '@p2p/metainfo'
import { formatPeer } from '@p2p/peer-address'
import { fetchPieceLayers, missingPieceLayers } from './piece-layers.js'
import { setup } from './torrent-setup.js'
import type { Peer, TorrentState } from './torrent-state.js'

/**
 * Fetches the info dict from a peer (ut_metadata, for magnets), then, for a v2-only torrent, its
 * piece layers (BEP 52 hash requests); on failure the next connected peer is tried. Metadata whose
 * layers no peer could give waits (without being fetched again) for the next peer that connects.
 */
export async function fetchMetadata(s: TorrentState, peer: Peer): Promise<void> {
  if (s.fetchingMetadata || s.meta) return
  s.fetchingMetadata = true
  try {
    const meta = s.pendingMeta ?? (await metadataFrom(s, peer))
    if (s.meta || s.destroyed) return
    // A v2-only torrent's piece layers are outside the info dict: ask peers for them (BEP 52).
    if (missingPieceLayers(meta).length) {
      s.pendingMeta = meta
      await fetchPieceLayers(s, meta, peer)
      s.pendingMeta = undefined
    }
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
    for (const p of s.peers) {
      if (p !== peer && p.handshaken && !s.layersTried.has(p)) return void fetchMetadata(s, p)
    }
  }
}

async function metadataFrom(s: TorrentState, peer: Peer): Promise<Metainfo> {
  const info = await peer.fetchMetadata()
  const torrent = new Uint8Array(info.length + 8)
  torrent.set(new TextEncoder().encode('d4:info'), 0)
  torrent.set(info, 7)
  torrent[torrent.length - 1] = 0x65 // 'e'
  const meta = parseTorrent(torrent)
  if (s.src.trackers.length && meta.announce.length === 0) meta.announce = s.src.trackers
  return meta
}
