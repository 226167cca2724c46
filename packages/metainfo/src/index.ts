/**
 * Create and parse BitTorrent v1, v2 and hybrid torrents and magnet links, identical to libtorrent.
 *
 * @example
 * ```ts
 * import { createTorrent, parseTorrent } from '@p2p/metainfo'
 * const { torrent, metainfo } = await createTorrent('./photos', { announce: 'http://tracker/announce' })
 * parseTorrent(torrent).infoHashV2 === metainfo.infoHashV2 // true
 * ```
 * @packageDocumentation
 */
export { createTorrent } from './create.js'
export { MetainfoError, type MetainfoErrorCode } from './errors.js'
export { type HashCallOptions, HashPool, type HashPoolOptions, type PiecesResult } from './hash-pool.js'
export { type MagnetOptions, parseMagnet, toMagnet } from './magnet.js'
export {
  BLOCK_SIZE,
  blockRoot,
  leafHashes,
  merkleRoot,
  nextPowerOfTwo,
  padHash,
  pieceLayerRoot,
  verifyPiece,
  verifyPieceLayer,
} from './merkle.js'
export { type ParseOptions, parseTorrent } from './parse.js'
export { pieceSpec, resolveFilePath } from './piece.js'
export { defaultPieceLength, transmission3PieceLength } from './piece-length.js'
export { DEFAULT_MAX_TORRENT_SIZE, type ReadTorrentOptions, readTorrentFile } from './read.js'
export { sanitizeElement } from './sanitize.js'
export { compareTransmission3 } from './sources.js'
export type {
  CreateOptions,
  FileEntry,
  FileInput,
  FileRange,
  MagnetLink,
  Metainfo,
  PieceSpec,
  TorrentVersion,
} from './types.js'
