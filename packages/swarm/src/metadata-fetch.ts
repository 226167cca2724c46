import { type Metainfo, parseTorrent } from '@p2p/metainfo'
import { formatPeer } from '@p2p/peer-address'
import { fetchPieceLayers, missingPieceLayers } from './piece-layers.js'
import type { Peer, TorrentState } from './torrent-state.js'

/**
 * The metadata phase of a torrent (a magnet, or a v2 .torrent without its piece layers): fetches the
 * info dict from a peer (ut_metadata), then, for a v2-only torrent, its piece layers (BEP 52 hash
 * requests); on failure the next connected peer is tried. Metadata whose layers no peer could give
 * waits (without being fetched again) for the next peer that connects. It only returns the
 * metainfo: the torrent sets itself up with it.
 */
export class MetadataPhase {
  readonly #s: TorrentState
  #fetching = false
  /** The metainfo was returned: nothing more to fetch. */
  #known = false
  /** Metadata of a v2-only torrent waiting for its piece layers (no peer gave them yet). */
  #pending: Metainfo | undefined
  /** Peers already asked for piece layers (not asked again). */
  readonly #layersTried = new WeakSet<Peer>()

  constructor(s: TorrentState) {
    this.#s = s
  }

  /** A .torrent without its piece layers: they are fetched from peers, as for a magnet. */
  awaitLayers(meta: Metainfo): void {
    this.#pending = meta
  }

  /**
   * Fetches what is missing from `peer` (then from the other peers): resolves to the complete metainfo
   * once, and to `undefined` while a fetch already runs, after it is known, or when no peer gave it.
   */
  async fetch(peer: Peer): Promise<Metainfo | undefined> {
    const s = this.#s
    if (this.#fetching || this.#known) return undefined
    this.#fetching = true
    let meta: Metainfo | undefined
    try {
      meta = this.#pending ?? (await metadataFrom(s, peer))
      // A v2-only torrent's piece layers are outside the info dict: ask peers for them (BEP 52).
      if (!s.destroyed && missingPieceLayers(meta).length) {
        this.#pending = meta
        await fetchPieceLayers(s, this.#layersTried, meta, peer)
        this.#pending = undefined
      }
    } catch (err) {
      meta = undefined
      s.emit('warning', {
        message: `metadata from ${formatPeer(peer.addr)} failed: ${(err as Error).message}`,
        error: err,
      })
    } finally {
      this.#fetching = false
    }
    if (s.destroyed) return undefined
    if (meta) {
      this.#known = true
      return meta
    }
    for (const p of s.peers) {
      if (p !== peer && p.handshaken && !this.#layersTried.has(p)) return this.fetch(p)
    }
    return undefined
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
