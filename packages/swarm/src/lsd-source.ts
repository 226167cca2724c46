import type { Metainfo } from '@p2p/metainfo'
import { LocalPeerDiscovery, type LocalPeerDiscoveryOptions, type NatError } from '@p2p/nat'
import type { Torrent } from './torrent.js'

/** Length in hex of an info hash on the wire (a v2 hash is truncated to 20 bytes, BEP 52). */
const WIRE_HASH_HEX = 40

/**
 * The info hashes a torrent is announced under on the LAN: its v1 hash and its truncated v2 hash (both for a
 * hybrid torrent); none for a private torrent (BEP 27: peers only from its trackers).
 */
export function lsdHashes(metainfo: Metainfo): string[] {
  if (metainfo.private) return []
  return [metainfo.infoHash, metainfo.infoHashV2?.slice(0, WIRE_HASH_HEX)].filter((h): h is string => !!h)
}

/**
 * Local service discovery (BEP 14) as a peer source of a client: announces each public torrent and adds
 * the peers others announce for it.
 */
export class LsdSource {
  readonly #lsd: LocalPeerDiscovery
  readonly #byHash = new Map<string, Torrent>()

  constructor(options: LocalPeerDiscoveryOptions, onFailed: (err: NatError) => void) {
    this.#lsd = new LocalPeerDiscovery(options)
    this.#lsd.on('failed', onFailed)
    this.#lsd.on('peer', ({ infoHash, host, port }) =>
      this.#byHash.get(infoHash)?.addPeer({ host, port }, 'lsd'),
    )
  }

  /** Joins the multicast groups. */
  start(): Promise<void> {
    return this.#lsd.start()
  }

  /**
   * Announces `torrent` unless it is private. A magnet is announced under its hash at once (its peers on
   * the LAN may be the only ones to give us the metadata), and withdrawn if the metadata says private.
   */
  add(torrent: Torrent): void {
    let hashes: string[] = []
    const announce = (next: string[]) => {
      this.#lsd.removeTorrent(hashes)
      for (const h of hashes) this.#byHash.delete(h)
      hashes = next
      for (const h of hashes) this.#byHash.set(h, torrent)
      if (hashes.length > 0) this.#lsd.addTorrent(hashes)
    }
    if (torrent.metainfo) announce(lsdHashes(torrent.metainfo))
    else {
      announce([torrent.infoHash.slice(0, WIRE_HASH_HEX)])
      torrent.once('metadata', (metainfo) => announce(lsdHashes(metainfo)))
    }
  }

  /** Leaves the groups. */
  close(): Promise<void> {
    this.#byHash.clear()
    return this.#lsd.close()
  }
}
