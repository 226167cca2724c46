import { type BencodeDict, type BencodeValue, decode, rawBytes } from '@p2p/bencode'
import { attrOf, int, isDict, list, rawEntries, str } from './dict-fields.js'
import { fail, mapDecodeError } from './errors.js'
import { BLOCK_SIZE } from './merkle.js'
import { appendElement, bytesToString } from './sanitize.js'
import type { TorrentVersion } from './types.js'

/** @internal libtorrent's per-file size cap (`file_storage::max_file_size`, 2^62 - 1), kept safe for doubles. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER

/** The bencode limits of `ParseOptions` that the file tree's second decode obeys. */
interface DecodeLimits {
  maxDepth?: number
  maxTokens?: number
}

const enc = new TextEncoder()

/**
 * @internal The torrent's files in piece space (v2's list with its synthesised pads when there is one) and
 * the version they make: a hybrid's v1 and v2 lists must describe the same files.
 */
export function torrentFiles(
  info: BencodeDict,
  name: string,
  pieceLength: number,
  v2: boolean,
  limits: DecodeLimits,
): { files: RawFile[]; version: TorrentVersion } {
  const filesNode = list(info, 'files')
  const v2Files = v2FileList(info, name, filesNode !== undefined, v2, limits)
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
  limits: DecodeLimits,
): RawFile[] | undefined {
  const fileTree = info['file tree']
  if (v2 && isDict(fileTree)) return extractV2Files(withSpans(fileTree, limits), name, hasFiles)
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

/** @internal A file while parsing: path as a `/`-joined sanitised string (libtorrent's representation). */
export interface RawFile {
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

/** @internal Depth of the spans recorded when a whole torrent is decoded: the info dictionary's values. */
export const TOP_SPAN_DEPTH = 2

/** The `file tree` dictionary decoded again with all of its spans (its keys are raw bytes). */
function withSpans(tree: BencodeDict, limits: DecodeLimits): BencodeDict {
  try {
    return decode(rawBytes(tree)!, {
      spans: true,
      strict: false,
      maxDepth: (limits.maxDepth ?? 100) - TOP_SPAN_DEPTH,
      maxTokens: limits.maxTokens ?? 3_000_000,
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
