import { BLOCK_SIZE, nextPowerOfTwo } from './merkle.js'
import type { SourceFile } from './sources.js'

/** Bytes sent to a worker per job, rounded down to whole pieces (one piece when pieces are larger). */
const CHUNK = 4 * 1024 * 1024

/** A file placed in piece space. */
export interface Planned extends SourceFile {
  /** Offset in piece space. */
  offset: number
  /** Size of the BEP 47 pad file that follows it (0 for none). */
  padAfter: number
}

/** A byte range of one file inside a hashing chunk. */
export interface Seg {
  file: Planned
  pos: number
  length: number
}

/** Consecutive whole pieces hashed as one job. */
export interface Chunk {
  segs: Seg[]
  /** First SHA-1 piece, or -1 for none (v2-only). */
  sha1At: number
  /** First v2 root (index in the roots output), or -1 for none (v1-only). */
  rootAt: number
  /** v2 leaves per root. */
  leafCount: number
}

/** The hashing work of a torrent. */
export interface ChunkPlan {
  /** Bytes per chunk: a multiple of the piece length. */
  chunk: number
  chunks: Chunk[]
  /** v2: where each file's roots start in the roots output (one per piece, or one for a small file). */
  rootBase: Map<Planned, number>
  /** v2: roots in the roots output. */
  rootCount: number
}

/**
 * Places `files` one after the other in piece space; with `padded` (hybrid), a pad follows every
 * non-empty file that does not end on a piece boundary, the last one included, as libtorrent 2.0.8.
 */
export function layoutPieceSpace(
  files: SourceFile[],
  pieceLength: number,
  padded: boolean,
): { files: Planned[]; totalSize: number } {
  const planned: Planned[] = []
  let offset = 0
  for (const f of files) {
    const p: Planned = { ...f, offset, padAfter: 0 }
    planned.push(p)
    offset += f.length
    if (padded && f.length > 0 && offset % pieceLength !== 0) {
      p.padAfter = pieceLength - (offset % pieceLength)
      offset += p.padAfter
    }
  }
  return { files: planned, totalSize: offset }
}

/**
 * Cuts the content into chunks of consecutive whole pieces: across files for v1 only, within one
 * file for v2 and hybrid (whose pieces never span files).
 */
export function planChunks(files: Planned[], pieceLength: number, v1: boolean, v2: boolean): ChunkPlan {
  const chunk = Math.max(pieceLength, Math.floor(CHUNK / pieceLength) * pieceLength)
  if (!v2) return { chunk, chunks: v1Chunks(files, pieceLength, chunk), rootBase: new Map(), rootCount: 0 }
  return v2Chunks(files, pieceLength, chunk, v1)
}

function v1Chunks(files: Planned[], pieceLength: number, chunk: number): Chunk[] {
  const chunks: Chunk[] = []
  let segs: Seg[] = []
  let fill = 0
  let piece = 0
  const flush = () => {
    chunks.push({ segs, sha1At: piece, rootAt: -1, leafCount: 0 })
    piece += Math.ceil(fill / pieceLength)
    segs = []
    fill = 0
  }
  for (const f of files) {
    for (let pos = 0; pos < f.length; ) {
      const n = Math.min(f.length - pos, chunk - fill)
      segs.push({ file: f, pos, length: n })
      pos += n
      fill += n
      if (fill === chunk) flush()
    }
  }
  if (fill > 0) flush()
  return chunks
}

function v2Chunks(files: Planned[], pieceLength: number, chunk: number, v1: boolean): ChunkPlan {
  const chunks: Chunk[] = []
  const rootBase = new Map<Planned, number>()
  let rootCount = 0
  for (const f of files) {
    if (f.length === 0 || f.symlinkPath) continue
    const small = f.length <= pieceLength
    const leafCount = small ? nextPowerOfTwo(Math.ceil(f.length / BLOCK_SIZE)) : pieceLength / BLOCK_SIZE
    rootBase.set(f, rootCount)
    for (let pos = 0; pos < f.length; pos += chunk) {
      chunks.push({
        segs: [{ file: f, pos, length: Math.min(chunk, f.length - pos) }],
        sha1At: v1 ? (f.offset + pos) / pieceLength : -1,
        rootAt: rootCount + pos / pieceLength,
        leafCount,
      })
    }
    rootCount += Math.ceil(f.length / pieceLength)
  }
  return { chunk, chunks, rootBase, rootCount }
}
