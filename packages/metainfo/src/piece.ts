import { isAbsolute, relative, resolve, sep } from 'node:path'
import { toHex } from '@p2p/bytes'
import { fail } from './errors.js'
import { BLOCK_SIZE, nextPowerOfTwo } from './merkle.js'
import type { FileEntry, FileRange, Metainfo, PieceSpec } from './types.js'

const offsetsCache = new WeakMap<FileEntry[], number[]>()

function fileOffsets(files: FileEntry[]): number[] {
  let o = offsetsCache.get(files)
  if (!o) {
    o = files.map((f) => f.offset)
    offsetsCache.set(files, o)
  }
  return o
}

/** Index of the last file whose offset is <= pos. */
function fileAt(offsets: number[], pos: number): number {
  let lo = 0
  let hi = offsets.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (offsets[mid]! <= pos) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Where piece `index` sits and how to verify it: its byte range, the file ranges it covers (pad
 * files included), the expected SHA-1 (v1/hybrid) and the expected v2 subtree root (v2/hybrid).
 *
 * For v2, hash the first `sha256.length` bytes of the piece (the file's bytes; pad bytes are not
 * part of the merkle tree) with `pool.pieceRootSha256(data, sha256.leafCount)` and compare with
 * `sha256.root`.
 *
 * @example
 * ```ts
 * const spec = pieceSpec(meta, 7)
 * const ok = equal(await pool.digest('sha1', piece), spec.sha1!)
 * ```
 */
export function pieceSpec(meta: Metainfo, index: number): PieceSpec {
  if (!Number.isInteger(index) || index < 0 || index >= meta.pieceCount) {
    fail('METAINFO_INVALID_OPTION', `piece index ${index} out of range 0..${meta.pieceCount - 1}`)
  }
  const pl = meta.pieceLength
  const offset = index * pl
  const length = Math.min(pl, meta.totalSize - offset)
  const spec: PieceSpec = {
    index,
    offset,
    length,
    ranges: [],
  }
  if (meta.pieces) spec.sha1 = meta.pieces.subarray(index * 20, index * 20 + 20)
  const offsets = fileOffsets(meta.files)
  const ranges: FileRange[] = []
  const end = offset + length
  for (let i = fileAt(offsets, offset); i < meta.files.length; i++) {
    const f = meta.files[i]!
    if (f.offset >= end) break
    if (f.length === 0) continue
    const from = Math.max(offset, f.offset)
    const to = Math.min(end, f.offset + f.length)
    if (to > from) ranges.push({ file: i, offset: from - f.offset, length: to - from })
  }
  spec.ranges = ranges
  if (meta.version !== 1) {
    const first = ranges[0]
    const f = first ? meta.files[first.file] : undefined
    if (f && !f.pad && f.piecesRoot) {
      const dataLength = first!.length
      if (f.length <= pl) {
        spec.sha256 = {
          root: f.piecesRoot,
          leafCount: nextPowerOfTwo(Math.ceil(f.length / BLOCK_SIZE)),
          length: dataLength,
        }
      } else {
        const layer = meta.pieceLayers.get(toHex(f.piecesRoot))
        const k = Math.floor((offset - f.offset) / pl)
        if (layer && layer.length >= (k + 1) * 32) {
          spec.sha256 = {
            root: layer.subarray(k * 32, k * 32 + 32),
            leafCount: pl / BLOCK_SIZE,
            length: dataLength,
          }
        }
      }
    }
  }
  return spec
}

/**
 * Joins a file's sanitised path under `root` and proves it stays inside: throws
 * `METAINFO_PATH_TRAVERSAL` for empty, `.`/`..`, separator- or NUL-holding components, or any
 * result outside `root`. Paths from {@link parseTorrent} always pass; use it before every write.
 */
export function resolveFilePath(root: string, path: string[] | FileEntry): string {
  const parts = Array.isArray(path) ? path : path.path
  if (parts.length === 0) fail('METAINFO_PATH_TRAVERSAL', 'empty path')
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || /[/\\\0]/.test(p)) {
      fail('METAINFO_PATH_TRAVERSAL', `unsafe path component ${JSON.stringify(p)}`)
    }
  }
  const base = resolve(root)
  const full = resolve(base, ...parts)
  const rel = relative(base, full)
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    fail('METAINFO_PATH_TRAVERSAL', `path ${JSON.stringify(parts.join('/'))} leaves ${base}`)
  }
  return full
}
