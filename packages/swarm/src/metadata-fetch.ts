import { type Metainfo, parseTorrent } from '@p2p/metainfo'
import { formatPeer } from '@p2p/peer-address'
import type { PeerSession as Peer } from './peer-session.js'
import { fetchPieceLayers, missingPieceLayers, type PeerQueries } from './piece-layers.js'

/**
 * What the {@link MetadataPhase} needs of its torrent: the connected peers (each fetch goes through
 * the peer's session: ut_metadata, BEP 52 hash requests), the destroy signal, warnings, and the
 * magnet's trackers (a fetched info dict names none).
 */
export interface MetadataHost extends PeerQueries {
  /** The trackers the magnet named (tiers). */
  readonly trackers: string[][]
}

/**
 * The metadata phase of a torrent (a magnet, or a v2 .torrent without its piece layers): fetches the
 * info dict from a peer (ut_metadata), then, for a v2-only torrent, its piece layers (BEP 52 hash
 * requests); on failure the next connected peer is tried. Metadata whose layers no peer could give
 * waits (without being fetched again) for the next peer that connects. It only returns the
 * metainfo: the torrent sets itself up with it.
 */
export class MetadataPhase {
  readonly #host: MetadataHost
  #fetching = false
  /** The metainfo was returned: nothing more to fetch. */
  #known = false
  /** Metadata of a v2-only torrent waiting for its piece layers (no peer gave them yet). */
  #pending: Metainfo | undefined
  /** Peers already asked for piece layers (not asked again). */
  readonly #layersTried = new WeakSet<Peer>()

  constructor(host: MetadataHost) {
    this.#host = host
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
    const host = this.#host
    if (this.#fetching || this.#known) return undefined
    this.#fetching = true
    let meta: Metainfo | undefined
    try {
      meta = this.#pending ?? (await metadataFrom(host.trackers, peer))
      // A v2-only torrent's piece layers are outside the info dict: ask peers for them (BEP 52).
      if (!host.signal.aborted && missingPieceLayers(meta).length) {
        this.#pending = meta
        await fetchPieceLayers(host, this.#layersTried, meta, peer)
        this.#pending = undefined
      }
    } catch (err) {
      meta = undefined
      host.warn({
        message: `metadata from ${formatPeer(peer.addr)} failed: ${(err as Error).message}`,
        error: err,
      })
    } finally {
      this.#fetching = false
    }
    if (host.signal.aborted) return undefined
    if (meta) {
      this.#known = true
      return meta
    }
    for (const p of host.peers) {
      if (p !== peer && p.handshaken && !this.#layersTried.has(p)) return this.fetch(p)
    }
    return undefined
  }
}

/** The info dict from `peer` (ut_metadata) as metainfo, announcing to `trackers` (the magnet's). */
async function metadataFrom(trackers: string[][], peer: Peer): Promise<Metainfo> {
  const info = await peer.fetchMetadata()
  const torrent = new Uint8Array(info.length + 8)
  torrent.set(new TextEncoder().encode('d4:info'), 0)
  torrent.set(info, 7)
  torrent[torrent.length - 1] = 0x65 // 'e'
  const meta = parseTorrent(torrent)
  if (trackers.length && meta.announce.length === 0) meta.announce = trackers
  return meta
}
