import { createHash } from 'node:crypto'
import { type BencodeDict, type BencodeValue, decode, decodePrefix, rawBytes } from '@p2p/bencode'
import { equalBytes, toHex } from '@p2p/bytes'
import { int, isDict, list, rawEntries, str } from './dict-fields.js'
import { resolveDuplicates } from './duplicates.js'
import { fail, MetainfoError, mapDecodeError } from './errors.js'
import { BLOCK_SIZE, verifyPieceLayer } from './merkle.js'
import { appendElement, bytesToString } from './sanitize.js'
import { MAX_FILE_SIZE, type RawFile, TOP_SPAN_DEPTH, torrentFiles } from './torrent-files.js'
import type { FileEntry, Metainfo } from './types.js'

/** Options of {@link parseTorrent}; every limit bounds what a hostile file can make us do. */
export interface ParseOptions {
  /** Largest accepted input in bytes. Default 80,000,000 (libtorrent's `max_buffer_size`). */
  maxSize?: number
  /** Most pieces accepted. Default 0x200000 (libtorrent's `max_pieces`). */
  maxPieces?: number
  /** Deepest bencode nesting. Default 100. */
  maxDepth?: number
  /** Most bencode values. Default 3,000,000 (libtorrent's `max_decode_tokens`). */
  maxTokens?: number
  /** Most name collisions tolerated while renaming duplicate paths. Default 100. */
  maxDuplicateNames?: number
  /**
   * How `piece layers` entries are checked against their file's pieces root (the layers lie outside
   * the info dict, so anyone passing the .torrent on can change them without changing the info hash):
   * - `'libtorrent'` (default): a layer of pieces larger than 16 KiB that does not hash to its root
   *   rejects the torrent, as libtorrent does at load time; a bad 16 KiB layer (which libtorrent
   *   loads) is dropped, so it is fetched from peers with BEP 52 hash requests instead of failing
   *   every piece and getting honest peers banned.
   * - `'all'`: any layer that does not hash to its root rejects the torrent.
   * - `'none'`: only sizes are checked (the layers are trusted; use only for torrents you made).
   */
  verifyPieceLayers?: 'libtorrent' | 'all' | 'none'
}

const MAX_PIECE_LENGTH = Math.floor(2147483647 / 2)

const text = new TextDecoder('utf-8')

/**
 * Parses a `.torrent` file (v1, v2 or hybrid) with libtorrent's validation rules and path
 * sanitising. Info hashes are computed over the raw info bytes, never a re-encoding.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { parseTorrent } from '@p2p/metainfo'
 * const meta = parseTorrent(readFileSync('ubuntu.torrent'))
 * console.log(meta.name, meta.infoHash, meta.files.length)
 * ```
 * @throws MetainfoError with a stable code for every rejection.
 */
export function parseTorrent(bytes: Uint8Array, options: ParseOptions = {}): Metainfo {
  const { root, info, infoBytes } = decodeTorrent(bytes, options)
  const sha1 = new Uint8Array(createHash('sha1').update(infoBytes).digest())
  const v2 = isV2(info, infoBytes, options)
  const pieceLength = pieceLengthOf(info, v2)
  const name = torrentName(info, sha1)
  const { files, version } = torrentFiles(info, name, pieceLength, v2, options)
  const { totalSize, pieceCount, pieces } = checkPieces(info, files, pieceLength, v2, options)
  const paths = resolveDuplicates(files, name, options.maxDuplicateNames ?? 100)
  const pieceLayers = v2 ? parsePieceLayers(root, files, pieceLength, options) : new Map<string, Uint8Array>()
  const entries = fileEntries(files, paths)
  const sha256 = v2 ? new Uint8Array(createHash('sha256').update(infoBytes).digest()) : undefined
  const meta: Metainfo = {
    version,
    infoHashBytes: version === 2 ? sha256!.subarray(0, 20) : sha1,
    info: infoBytes,
    name,
    pieceLength,
    pieceCount,
    length: entries.reduce((n, f) => n + (f.pad ? 0 : f.length), 0),
    totalSize,
    files: entries,
    pieceLayers,
    announce: parseAnnounce(root),
    urlList: parseUrlList(root),
    private: int(info, 'private', 0) !== 0,
  }
  if (version !== 2) meta.infoHash = toHex(sha1)
  if (sha256) meta.infoHashV2 = toHex(sha256)
  if (pieces) meta.pieces = pieces
  addDescription(meta, root, info)
  return meta
}

/** The top-level dictionary, its `info` dictionary and the raw info bytes (what the info hashes hash). */
function decodeTorrent(
  bytes: Uint8Array,
  options: ParseOptions,
): { root: BencodeDict; info: BencodeDict; infoBytes: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) fail('METAINFO_INVALID_INPUT', 'parseTorrent expects a Uint8Array')
  const maxSize = options.maxSize ?? 80_000_000
  if (bytes.length > maxSize)
    fail('METAINFO_TOO_LARGE', `torrent is ${bytes.length} bytes, more than maxSize ${maxSize}`)
  let root: BencodeValue
  try {
    // like libtorrent's bdecode, bytes after the root value are ignored
    root = decodePrefix(bytes, {
      // Spans down to the info dictionary's entries (a `file tree` is decoded again by torrentFiles with
      // all of its spans): recording every file entry's span cost 10x the decode itself.
      spans: true,
      spanDepth: TOP_SPAN_DEPTH,
      strict: false,
      maxDepth: options.maxDepth ?? 100,
      maxTokens: options.maxTokens ?? 3_000_000,
    }).value
  } catch (err) {
    mapDecodeError(err)
  }
  if (!isDict(root)) fail('METAINFO_NOT_A_DICT', 'torrent file is not a dictionary')
  const info = root.info
  if (!isDict(info)) fail('METAINFO_MISSING_INFO', "missing or invalid 'info' section in torrent file")
  return { root, info, infoBytes: rawBytes(info)! }
}

/** Whether `meta version` is 2; a v2 info dictionary must also be strictly valid bencode. */
function isV2(info: BencodeDict, infoBytes: Uint8Array, options: ParseOptions): boolean {
  const metaVersion = int(info, 'meta version', -1)
  if (metaVersion > 0) {
    try {
      decode(infoBytes, {
        strict: true,
        maxDepth: options.maxDepth ?? 100,
        maxTokens: options.maxTokens ?? 3_000_000,
      })
    } catch (err) {
      mapDecodeError(err)
    }
    if (metaVersion > 2) fail('METAINFO_UNKNOWN_VERSION', `unknown meta version ${metaVersion}`)
  }
  return metaVersion >= 2
}

function pieceLengthOf(info: BencodeDict, v2: boolean): number {
  const pieceLength = int(info, 'piece length', -1)
  if (!(pieceLength > 0) || pieceLength > MAX_PIECE_LENGTH) {
    fail('METAINFO_INVALID_PIECE_LENGTH', "invalid or missing 'piece length' entry in torrent file")
  }
  if (v2 && (pieceLength < BLOCK_SIZE || (pieceLength & (pieceLength - 1)) !== 0)) {
    fail('METAINFO_INVALID_PIECE_LENGTH', "v2 'piece length' must be a power of two >= 16 KiB")
  }
  return pieceLength
}

/** The sanitised name (the info hash in hex when nothing is left of it). */
function torrentName(info: BencodeDict, sha1: Uint8Array): string {
  const nameBytes = str(info, 'name.utf-8') ?? str(info, 'name')
  if (!nameBytes) fail('METAINFO_MISSING_NAME', 'missing name in torrent file')
  const nameOut: number[] = []
  appendElement(nameOut, nameBytes)
  const name = bytesToString(nameOut)
  return name === '' ? toHex(sha1) : name
}

/** Checks the sizes against the limits and the `pieces` string against the piece count. */
function checkPieces(
  info: BencodeDict,
  files: RawFile[],
  pieceLength: number,
  v2: boolean,
  options: ParseOptions,
): { totalSize: number; pieceCount: number; pieces: Uint8Array | undefined } {
  let totalSize = 0
  for (const f of files) totalSize += f.length
  if (totalSize > MAX_FILE_SIZE) fail('METAINFO_INVALID_LENGTH', 'torrent is too large')
  if (totalSize / pieceLength >= 2147483647) fail('METAINFO_TOO_MANY_PIECES', 'too many pieces in torrent')
  const pieceCount = Math.ceil(totalSize / pieceLength)
  const maxPieces = options.maxPieces ?? 0x200000
  if (pieceCount >= Math.floor(2147483647 / 20) || pieceCount > maxPieces) {
    fail('METAINFO_TOO_MANY_PIECES', 'too many pieces in torrent')
  }
  const pieces = str(info, 'pieces')
  if (!pieces) {
    if (!v2) fail('METAINFO_MISSING_PIECES', "invalid or missing 'pieces' entry in torrent file")
  } else if (pieces.length !== pieceCount * 20) {
    fail('METAINFO_INVALID_PIECES', 'incorrect number of piece hashes in torrent file')
  }
  if (totalSize === 0) fail('METAINFO_INVALID_LENGTH', 'invalid length of torrent')
  return { totalSize, pieceCount, pieces }
}

/** v2 `piece layers` by pieces root in hex: optional, but every entry present must be valid. */
function parsePieceLayers(
  root: BencodeDict,
  files: RawFile[],
  pieceLength: number,
  options: ParseOptions,
): Map<string, Uint8Array> {
  const pieceLayers = new Map<string, Uint8Array>()
  const layers = root['piece layers']
  if (layers === undefined) return pieceLayers
  if (!isDict(layers)) fail('METAINFO_INVALID_PIECE_LAYER', "'piece layers' is not a dictionary")
  const big = new Map<string, RawFile>()
  for (const f of files) if (f.root && f.length > pieceLength) big.set(toHex(f.root), f)
  for (const [key, value] of rawEntries(layers)) {
    const keyHex = toHex(key)
    const f = big.get(keyHex)
    if (!f) fail('METAINFO_INVALID_PIECE_LAYER', 'a piece layer belongs to no file')
    if (!(value instanceof Uint8Array)) fail('METAINFO_INVALID_PIECE_LAYER', 'a piece layer is not a string')
    const n = Math.ceil(f.length / pieceLength)
    if (value.length !== n * 32) fail('METAINFO_INVALID_PIECE_LAYER', 'a piece layer has the wrong size')
    const verify = options.verifyPieceLayers ?? 'libtorrent'
    if (verify !== 'none' && !verifyPieceLayer(value, pieceLength, f.root!)) {
      if (verify === 'all' || pieceLength > BLOCK_SIZE)
        fail('METAINFO_INVALID_PIECE_LAYER', 'a piece layer does not hash to its pieces root')
      continue // a 16 KiB layer libtorrent would load: dropped, fetched from peers instead
    }
    pieceLayers.set(keyHex, value)
  }
  return pieceLayers
}

/** The public file list: `paths` (duplicates renamed) split, offsets in piece space. */
function fileEntries(files: RawFile[], paths: string[]): FileEntry[] {
  const out: FileEntry[] = []
  let offset = 0
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!
    const e: FileEntry = { path: paths[i]!.split('/'), length: f.length, offset, pad: f.pad }
    if (f.attr !== undefined) e.attr = f.attr
    if (f.root) e.piecesRoot = f.root
    if (f.symlink && f.symlinkPath !== undefined)
      e.symlinkPath = f.symlinkPath === '' ? [] : f.symlinkPath.split('/')
    out.push(e)
    offset += f.length
  }
  return out
}

/** The optional descriptive fields: comment, creator, creation date and source. */
function addDescription(meta: Metainfo, root: BencodeDict, info: BencodeDict): void {
  const comment = str(root, 'comment.utf-8') ?? str(root, 'comment')
  if (comment) meta.comment = text.decode(comment)
  const createdBy = str(root, 'created by')
  if (createdBy) meta.createdBy = text.decode(createdBy)
  const cd = int(root, 'creation date', -1)
  if (cd >= 0 && Number.isFinite(cd)) meta.creationDate = cd
  const source = str(info, 'source')
  if (source) meta.source = text.decode(source)
}

function trimUrl(u: Uint8Array): string {
  return text.decode(u).replace(/^[ \t\n\r\f\v]+/, '')
}

function parseAnnounce(root: BencodeDict): string[][] {
  const tiers: string[][] = []
  const al = list(root, 'announce-list')
  if (al) {
    for (const tier of al) {
      if (!Array.isArray(tier)) continue
      const urls: string[] = []
      for (const u of tier) {
        if (!(u instanceof Uint8Array)) continue
        const url = trimUrl(u)
        if (url && !urls.includes(url)) urls.push(url)
      }
      if (urls.length > 0) tiers.push(urls)
    }
  }
  if (tiers.length === 0) {
    const a = str(root, 'announce')
    const url = a ? trimUrl(a) : ''
    if (url) tiers.push([url])
  }
  return tiers
}

function parseUrlList(root: BencodeDict): string[] {
  const v = root['url-list']
  const out: string[] = []
  const add = (u: unknown) => {
    if (!(u instanceof Uint8Array) || u.length === 0) return
    const url = text.decode(u).trim()
    if (url && !out.includes(url)) out.push(url)
  }
  if (v instanceof Uint8Array) add(v)
  else if (Array.isArray(v)) v.forEach(add)
  return out
}

/** @internal For tests: whether two byte arrays are equal. */
export const _equal = equalBytes
void MetainfoError
