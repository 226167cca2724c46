import type { Metainfo, PieceSpec } from '@p2p/metainfo'
import type { BlockRequest } from './piece-picker.js'

/** One HTTP byte range of a web seed job: bytes of file `file` copied to `at` in the job's buffer. */
export interface WebSeedSegment {
  /** Index into `Metainfo.files` (never a pad file: their bytes are zeros and not fetched). */
  file: number
  /** Offset inside the file. */
  offset: number
  /** Number of bytes. */
  length: number
  /** Where they go in the job's buffer. */
  at: number
}

/** Where the blocks of a web seed job sit in its buffer, and the file ranges that fill it. */
export interface WebSeedPlan {
  /** Offset of each block (same order as the blocks) in the job's buffer. */
  at: number[]
  /** Bytes of the job's buffer. */
  size: number
  /** File ranges to fetch, adjacent ones of one file merged into one request. */
  segments: WebSeedSegment[]
}

/**
 * Maps blocks to the file ranges a web seed is asked for (BEP 19: the HTTP server has the files, not
 * the pieces). Blocks are laid out one after another in a buffer; each block's bytes are cut at file
 * boundaries with its piece's `ranges`; consecutive bytes of one file become one segment, so a run of
 * blocks is one range request per file it crosses. Pad-file bytes (and anything no file covers) are
 * left as the buffer's zeros.
 */
export function planWebSeedJob(
  meta: Pick<Metainfo, 'files'>,
  specs: readonly PieceSpec[],
  blocks: readonly BlockRequest[],
): WebSeedPlan {
  const at: number[] = []
  const segments: WebSeedSegment[] = []
  let size = 0
  for (const b of blocks) {
    at.push(size)
    let pos = 0
    for (const r of specs[b.index]!.ranges) {
      const start = Math.max(pos, b.begin)
      const end = Math.min(pos + r.length, b.begin + b.length)
      if (end > start && !meta.files[r.file]!.pad) {
        const seg = { file: r.file, offset: r.offset + (start - pos), length: end - start }
        const dest = size + (start - b.begin)
        const last = segments[segments.length - 1]
        if (
          last &&
          last.file === seg.file &&
          last.offset + last.length === seg.offset &&
          last.at + last.length === dest
        )
          last.length += seg.length
        else segments.push({ ...seg, at: dest })
      }
      pos += r.length
    }
    size += b.length
  }
  return { at, size, segments }
}

/**
 * The URL of file `index` on web seed `base` (BEP 19): a single-file torrent's URL is the file (its
 * name appended when the URL ends in `/`); a multi-file torrent's is `base/name/path...`, each
 * component percent-encoded.
 */
export function webSeedFileUrl(base: string, meta: Pick<Metainfo, 'files' | 'name'>, index: number): string {
  const file = meta.files[index]!
  const single = file.path.length === 1 && meta.files.filter((f) => !f.pad).length === 1
  if (single) return base.endsWith('/') ? base + encodeURIComponent(meta.name) : base
  return (base.endsWith('/') ? base : `${base}/`) + file.path.map(encodeURIComponent).join('/')
}
