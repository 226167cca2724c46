import { createHash } from 'node:crypto'
import {
  type BencodeDict,
  BencodeError,
  type BencodeValue,
  decode,
  decodePrefix,
  type RawEntry,
  rawBytes,
  rawEntries as rawEntriesOf,
} from '@p2p/bencode'
import { equalBytes, toHex } from '@p2p/bytes'
import { resolveDuplicates } from './duplicates.js'
import { fail, MetainfoError } from './errors.js'
import { BLOCK_SIZE, verifyPieceLayer } from './merkle.js'
import { appendElement, bytesToString } from './sanitize.js'
import type { FileEntry, Metainfo, TorrentVersion } from './types.js'

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

/** libtorrent's per-file size cap (`file_storage::max_file_size`, 2^62 - 1), kept safe for doubles. */
const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER
const MAX_PIECE_LENGTH = Math.floor(2147483647 / 2)

const text = new TextDecoder('utf-8')
const enc = new TextEncoder()

function isDict(v: unknown): v is BencodeDict {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v)
}
function str(d: BencodeDict, key: string): Uint8Array | undefined {
  const v = d[key]
  return v instanceof Uint8Array ? v : undefined
}
function int(d: BencodeDict, key: string, fallback: number): number {
  const v = d[key]
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return v > 0n ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
  return fallback
}
function list(d: BencodeDict, key: string): BencodeValue[] | undefined {
  const v = d[key]
  return Array.isArray(v) ? v : undefined
}
function attrOf(d: BencodeDict): string | undefined {
  const a = str(d, 'attr')
  return a ? text.decode(a) : undefined
}

/** A file while parsing: path as a `/`-joined sanitised string (libtorrent's representation). */
interface RawFile {
  path: string
  length: number
  pad: boolean
  symlink: boolean
  attr?: string
  root?: Uint8Array
  symlinkPath?: string
  /** Whether the path lies under the torrent name (libtorrent's `!no_root_dir`). */
  underName: boolean
}

function checkLength(n: number): void {
  if (!(n >= 0) || n > MAX_FILE_SIZE || Math.floor(n / BLOCK_SIZE) >= Math.floor(2147483647 / 2)) {
    fail('METAINFO_INVALID_LENGTH', 'invalid file length in torrent')
  }
}

function sanitizeList(elements: BencodeValue[]): string {
  for (const e of elements) {
    if (!(e instanceof Uint8Array))
      fail('METAINFO_INVALID_NAME', 'a path list holds something other than strings')
  }
  const out: number[] = []
  for (const e of elements) appendElement(out, e as Uint8Array)
  return bytesToString(out)
}

function stripLeadingSlashes(b: Uint8Array): Uint8Array {
  let i = 0
  while (i < b.length && b[i] === 0x2f) i++
  return b.subarray(i)
}

/** libtorrent's extract_single_file (v1). `rootDir` is the sanitised name's UTF-8 bytes (none for single-file). */
function extractV1File(d: BencodeValue, rootDir: readonly number[], topLevel: boolean): RawFile {
  if (!isDict(d)) fail('METAINFO_INVALID_FILE_TREE', 'a file entry is not a dictionary')
  const attr = attrOf(d)
  let pad = attr?.includes('p') ?? false
  let symlink = attr?.includes('l') ?? false
  const length = symlink ? 0 : int(d, 'length', -1)
  checkLength(length)
  let path: string
  let underName = true
  if (topLevel) {
    const p = str(d, 'name.utf-8') ?? str(d, 'name')
    if (!p || p.length === 0) fail('METAINFO_MISSING_NAME', 'missing name in torrent file')
    const out: number[] = []
    appendElement(out, p)
    path = bytesToString(out)
    if (path === '') fail('METAINFO_MISSING_NAME', 'missing name in torrent file')
  } else {
    const p = list(d, 'path.utf-8') ?? list(d, 'path')
    if (p && p.length > 0) {
      const out: number[] = rootDir.slice()
      const orig = out.length
      for (const e of p) {
        if (!(e instanceof Uint8Array))
          fail('METAINFO_INVALID_NAME', 'a path list holds something other than strings')
      }
      for (const e of p) appendElement(out, e as Uint8Array)
      if (out.length === orig) out.push(0x2f, 0x5f)
      path = bytesToString(out)
    } else if (pad) {
      path = `.pad/${length}`
      underName = false
    } else {
      fail('METAINFO_MISSING_NAME', 'a file has no path')
    }
  }
  if (path.includes('_____padding_file_')) pad = true
  let symlinkPath: string | undefined
  if (symlink) {
    const sp = list(d, 'symlink path')
    if (sp) symlinkPath = sanitizeList(sp)
    else symlink = false
  }
  const f: RawFile = { path, length, pad, symlink, underName }
  if (attr !== undefined) f.attr = attr
  if (symlinkPath !== undefined) f.symlinkPath = symlinkPath
  return f
}

/**
 * A dictionary's entries in file order with raw key bytes (binary keys such as pieces roots are
 * lossy as object keys; with `strict: false` duplicate keys each keep their own value, as in
 * libtorrent's `dict_at`). Every dictionary here was decoded with spans.
 */
function rawEntries(dict: BencodeDict): readonly RawEntry[] {
  return rawEntriesOf(dict) ?? []
}

/** Depth of the spans recorded when a whole torrent is decoded: the info dictionary's values. */
const TOP_SPAN_DEPTH = 2

/** The `file tree` dictionary decoded again with all of its spans (its keys are raw bytes). */
function withSpans(tree: BencodeDict, options: ParseOptions): BencodeDict {
  try {
    return decode(rawBytes(tree)!, {
      spans: true,
      strict: false,
      maxDepth: (options.maxDepth ?? 100) - TOP_SPAN_DEPTH,
      maxTokens: options.maxTokens ?? 3_000_000,
    }) as BencodeDict
  } catch (err) {
    mapDecodeError(err)
  }
}

/** libtorrent's extract_files2 (v2 file tree), iterative. */
function extractV2Files(tree: BencodeDict, name: string, hasFiles: boolean): RawFile[] {
  const files: RawFile[] = []
  // depth-first in key order, like the recursive original
  const walk = (node: BencodeDict, rootDir: string, depth: number, top: boolean): void => {
    if (depth > 100) fail('METAINFO_INVALID_FILE_TREE', 'file tree too deep')
    const entries = rawEntries(node)
    for (const [key, child] of entries) {
      if (!isDict(child) || key.length === 0)
        fail('METAINFO_INVALID_FILE_TREE', 'failed to parse files from torrent file')
      const filename = stripLeadingSlashes(key)
      const childKeys = Object.keys(child)
      const leaf = childKeys.length === 1 && childKeys[0] === ''
      const single = top && leaf && !hasFiles && entries.length === 1
      const out: number[] = single ? [] : Array.from(enc.encode(rootDir))
      appendElement(out, filename)
      const path = bytesToString(out)
      if (leaf) files.push(extractV2File(child['']!, path))
      else walk(child, path, depth + 1, false)
    }
  }
  walk(tree, name, 0, true)
  return files
}

function extractV2File(d: BencodeValue, path: string): RawFile {
  if (!isDict(d)) fail('METAINFO_INVALID_FILE_TREE', 'failed to parse files from torrent file')
  const attr = attrOf(d)
  if (attr?.includes('p'))
    fail('METAINFO_INVALID_PAD_FILE', 'a file in the v2 metadata has the pad attribute set')
  let symlink = attr?.includes('l') ?? false
  const length = symlink ? 0 : int(d, 'length', -1)
  checkLength(length)
  let symlinkPath: string | undefined
  if (symlink) {
    const sp = list(d, 'symlink path')
    if (sp) symlinkPath = sanitizeList(sp)
  }
  let root: Uint8Array | undefined
  if (!symlinkPath) {
    symlink = false
    const r = str(d, 'pieces root')
    if (length > 0 && r?.length !== 32)
      fail('METAINFO_MISSING_PIECES_ROOT', 'a v2 file entry has no root hash')
    if (length > 0 && r!.every((b) => b === 0))
      fail('METAINFO_MISSING_PIECES_ROOT', 'a v2 file entry has a zero root hash')
    root = r
  }
  const f: RawFile = { path, length, pad: false, symlink, underName: true }
  if (attr !== undefined) f.attr = attr
  if (root && length > 0) f.root = root
  if (symlinkPath !== undefined) f.symlinkPath = symlinkPath
  return f
}

/** v2 piece space: a pad after every non-empty file that does not end on a piece boundary. */
function withV2Pads(files: RawFile[], pieceLength: number, name: string, multi: boolean): RawFile[] {
  const out: RawFile[] = []
  let total = 0
  for (const f of files) {
    out.push(f)
    total += f.length
    const rem = total % pieceLength
    if (f.length > 0 && rem !== 0) {
      const size = pieceLength - rem
      out.push({
        path: `${multi ? name : name}/.pad/${size}`,
        length: size,
        pad: true,
        symlink: false,
        attr: 'p',
        underName: true,
      })
      total += size
    }
  }
  return out
}

/** libtorrent's files_compatible: non-empty non-pad files (and symlinks) match in order, path, size and offset. */
function compatible(a: RawFile[], b: RawFile[], pieceLength: number): boolean {
  const relevant = (files: RawFile[]) => {
    const r: { path: string; length: number; offset: number; symlink: boolean }[] = []
    let offset = 0
    for (const f of files) {
      if (!f.pad && (f.length > 0 || f.symlink))
        r.push({ path: f.path, length: f.length, offset, symlink: f.symlink })
      offset += f.length
    }
    return r
  }
  const ra = relevant(a)
  const rb = relevant(b)
  if (ra.length !== rb.length) return false
  for (let i = 0; i < ra.length; i++) {
    const x = ra[i]!
    const y = rb[i]!
    if (x.path !== y.path || x.length !== y.length || x.offset !== y.offset) return false
  }
  void pieceLength
  return true
}

function mapDecodeError(err: unknown): never {
  if (err instanceof BencodeError) {
    if (err.code === 'BENCODE_DEPTH_EXCEEDED')
      fail('METAINFO_DEPTH_EXCEEDED', 'bencoded nesting depth exceeded', err)
    fail('METAINFO_INVALID_BENCODING', `invalid bencoding: ${err.message}`, err)
  }
  throw err
}

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
      // Spans down to the info dictionary's entries (a `file tree` is decoded again below with
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

/**
 * The torrent's files in piece space (v2's list with its synthesised pads when there is one) and
 * the version they make: a hybrid's v1 and v2 lists must describe the same files.
 */
function torrentFiles(
  info: BencodeDict,
  name: string,
  pieceLength: number,
  v2: boolean,
  options: ParseOptions,
): { files: RawFile[]; version: TorrentVersion } {
  const filesNode = list(info, 'files')
  const v2Files = v2FileList(info, name, filesNode !== undefined, v2, options)
  let v1Files: RawFile[] | undefined
  let multi = true
  if (!filesNode) {
    if (!v2 || info.length !== undefined) {
      v1Files = [extractV1File(info, [], true)]
      multi = false
    }
  } else {
    const rootDir = Array.from(enc.encode(name))
    v1Files = filesNode.map((f) => extractV1File(f, rootDir, false))
  }
  const { files, version } = v2Files
    ? withV1Files(v2Files, v1Files, pieceLength, name, filesNode !== undefined)
    : { files: v1Files ?? [], version: 1 as const }
  if (files.length === 0) fail('METAINFO_NO_FILES', 'no files in torrent')
  if (!v2 && !multi && v1Files && v1Files.length > 1)
    fail('METAINFO_INVALID_NAME', 'more than one top-level file')
  return { files, version }
}

/** The v2 `file tree`'s files (none for a v1 torrent). */
function v2FileList(
  info: BencodeDict,
  name: string,
  hasFiles: boolean,
  v2: boolean,
  options: ParseOptions,
): RawFile[] | undefined {
  const fileTree = info['file tree']
  if (v2 && isDict(fileTree)) return extractV2Files(withSpans(fileTree, options), name, hasFiles)
  if (v2) fail('METAINFO_MISSING_FILE_TREE', "a v2 torrent has no 'file tree'")
  if (isDict(fileTree)) fail('METAINFO_MISSING_META_VERSION', "a 'file tree' without 'meta version' 2")
  return undefined
}

/** The v2 list with its pads, checked against the v1 list of a hybrid. */
function withV1Files(
  v2Files: RawFile[],
  v1Files: RawFile[] | undefined,
  pieceLength: number,
  name: string,
  hasFiles: boolean,
): { files: RawFile[]; version: TorrentVersion } {
  if (v2Files.length === 0) fail('METAINFO_NO_FILES', 'no files in torrent')
  const multiV2 = v2Files.length > 1 || hasFiles || v2Files[0]!.path.includes('/')
  const padded = withV2Pads(v2Files, pieceLength, name, multiV2)
  if (!v1Files || v1Files.length === 0) return { files: padded, version: 2 }
  if (!compatible(padded, v1Files, pieceLength)) {
    fail('METAINFO_INCONSISTENT_FILES', 'the v1 and v2 file metadata does not match')
  }
  // hybrid: libtorrent reports the v2 list with synthesised pads; a v1 list made without tail
  // padding (older libtorrent) keeps the last piece short
  const sum = (l: RawFile[]) => l.reduce((n, f) => n + f.length, 0)
  if (sum(v1Files) < sum(padded)) {
    let last = padded.length - 1
    while (last >= 0 && !padded[last]!.pad && padded[last]!.length === 0) last--
    if (last >= 0 && padded[last]!.pad)
      return { files: [...padded.slice(0, last), ...padded.slice(last + 1)], version: 'hybrid' }
  }
  return { files: padded, version: 'hybrid' }
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
