import { createHash } from 'node:crypto'
import { encode } from '@p2p/bencode'
import { type Metainfo, parseTorrent } from '@p2p/metainfo'

/** A simulated torrent: its .torrent bytes, info hash and content. */
export interface SimTorrentFile {
  /** The bencoded .torrent (give it to `client.add`). */
  file: Uint8Array
  infoHash: Uint8Array
  /** The file's bytes. */
  content: Uint8Array
  /**
   * The parsed `file`: give this one object to every client (`client.add(metainfo)`) and they share
   * its piece hashes and geometry instead of parsing their own copies.
   */
  metainfo: Metainfo
}

/** A single-file v1 torrent (`sim.bin`) of `content` cut into pieces of `pieceLength` bytes. */
export function simTorrent(content: Uint8Array, pieceLength: number): SimTorrentFile {
  const hashes: Uint8Array[] = []
  for (let o = 0; o < content.length; o += pieceLength) {
    hashes.push(
      createHash('sha1')
        .update(content.subarray(o, o + pieceLength))
        .digest(),
    )
  }
  const info = {
    length: content.length,
    name: 'sim.bin',
    'piece length': pieceLength,
    pieces: Buffer.concat(hashes),
  }
  const infoHash = createHash('sha1').update(encode(info)).digest()
  const file = encode({ info })
  return { file, infoHash: new Uint8Array(infoHash), content, metainfo: parseTorrent(file) }
}
