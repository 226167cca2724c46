import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { Chunk, ChunkPlan, Planned } from './chunk-plan.js'
import { checkAbort } from './create-options.js'
import { fail } from './errors.js'
import { type HashPlan, HashPool } from './hash-pool.js'
import { blockRoot, pieceLayerRoot } from './merkle.js'
import { openReader, type Reader } from './sources.js'
import type { CreateOptions } from './types.js'

/** Content up to this size is hashed on the calling thread (no worker start-up). */
const INLINE_MAX = 1024 * 1024

type PieceHasher = Pick<HashPool, 'threads' | 'hashPieces'>

/** Where the hashes of a torrent go, and what the hashing needs to know besides the plan. */
export interface HashTarget {
  /** Every file in piece space (whether all are on disk decides who reads them). */
  files: Planned[]
  name: string
  contentSize: number
  pieceLength: number
  /** SHA-1 pieces are zero-padded to this length (hybrid); 0 for none. */
  padTo: number
  /** SHA-1 outputs, 20 bytes per piece (v1 and hybrid). */
  sha1: Uint8Array | undefined
  /** v2 root outputs, 32 bytes each (see {@link ChunkPlan.rootBase}). */
  rootsOut: Uint8Array | undefined
}

const sharedPools = new Map<number, HashPool>()

/**
 * The pool `createTorrent` uses when given none: one per thread count, kept between calls (its
 * idle workers are unref'd, so they never keep the process alive) so only the first call pays
 * the worker start-up.
 */
function sharedPool(threads: number | undefined): HashPool {
  const n = threads ?? availableParallelism()
  let pool = sharedPools.get(n)
  if (!pool) {
    pool = new HashPool({ threads: n })
    sharedPools.set(n, pool)
  }
  return pool
}

/** Hashes on the calling thread, for small content. */
const inlineHasher: PieceHasher = {
  threads: 1,
  async hashPieces(data, o) {
    const n = Math.ceil(data.length / o.pieceLength)
    const sha1 = o.sha1 ? new Uint8Array(n * 20) : undefined
    const roots = o.leafCount ? new Uint8Array(n * 32) : undefined
    for (let i = 0; i < n; i++) {
      const piece = data.subarray(i * o.pieceLength, (i + 1) * o.pieceLength)
      if (sha1) {
        const h = createHash('sha1').update(piece)
        const missing = o.padTo ? o.padTo - piece.length : 0
        if (missing > 0) h.update(new Uint8Array(missing))
        sha1.set(h.digest(), i * 20)
      }
      if (roots) roots.set(blockRoot(piece, o.leafCount!), i * 32)
    }
    return { sha1, roots }
  },
}

/**
 * Hashes the content of `plan` into `t.sha1` and `t.rootsOut`: files on disk are read by the
 * workers of a pool, other content (and content up to 1 MiB) is read here.
 *
 * @throws MetainfoError `METAINFO_IO`, `METAINFO_ABORTED`.
 */
export async function hashContent(plan: ChunkPlan, t: HashTarget, options: CreateOptions): Promise<void> {
  const signal = options.signal
  const inline = !options.pool && t.contentSize <= INLINE_MAX
  const threadCount = options.threads ?? availableParallelism()
  const here = options.hashOnCallingThread === true && !options.pool && threadCount > 1
  const pool = options.pool ?? (inline ? undefined : sharedPool(here ? threadCount - 1 : threadCount))
  let hashed = 0
  const progress = (n: number) => {
    hashed += n
    options.onProgress?.(Math.min(hashed, t.contentSize), t.contentSize)
  }
  try {
    if (pool && t.files.every((f) => f.fsPath !== undefined)) {
      // files on disk: every worker reads and hashes chunks it claims itself
      await pool.hashPlan(diskPlan(plan.chunks, t), {
        onProgress: options.onProgress && progress,
        signal,
        callingThread: here,
      })
    } else {
      const maxBuffered = Math.max(options.maxBufferedBytes ?? 64 * 1024 * 1024, t.pieceLength)
      await hashInThisThread(plan, pool ?? inlineHasher, t, { maxBuffered, signal, progress })
    }
    checkAbort(signal)
  } catch (err) {
    checkAbort(signal)
    throw err
  }
}

/** The plan in the shared tables the workers read (see {@link HashPlan}). */
function diskPlan(chunks: Chunk[], t: HashTarget): HashPlan {
  const files = new Map<Planned, number>()
  const paths: string[] = []
  const segCount = chunks.reduce((n, c) => n + c.segs.length, 0)
  const table = new Float64Array(chunks.length * 5)
  const segments = new Float64Array(segCount * 3)
  let k = 0
  chunks.forEach((c, i) => {
    table.set([k, c.segs.length, c.sha1At, c.rootAt, c.leafCount], i * 5)
    for (const x of c.segs) {
      let fi = files.get(x.file)
      if (fi === undefined) {
        fi = paths.push(x.file.fsPath!) - 1
        files.set(x.file, fi)
      }
      segments.set([fi, x.pos, x.length], k++ * 3)
    }
  })
  const { pieceLength, padTo, sha1, rootsOut } = t
  return { paths, chunks: table, segments, pieceLength, padTo, sha1Out: sha1, rootsOut }
}

/**
 * Content read here, in order (bytes, streams, and small content on disk), and hashed chunk by
 * chunk on `pool`, with at most `maxBuffered` bytes in flight.
 */
async function hashInThisThread(
  plan: ChunkPlan,
  pool: PieceHasher,
  t: HashTarget,
  o: { maxBuffered: number; signal: AbortSignal | undefined; progress: (n: number) => void },
): Promise<void> {
  const maxInflight = Math.max(pool.threads + 1, Math.floor(o.maxBuffered / plan.chunk))
  const inflight: Promise<void>[] = []
  const readers = new Map<Planned, Reader>()
  let failure: unknown
  try {
    for (const c of plan.chunks) {
      checkAbort(o.signal)
      const data = await readChunk(c, readers, t.name)
      const length = data.length // `data` is transferred to a worker
      const job = {
        pieceLength: t.pieceLength,
        sha1: c.sha1At >= 0,
        padTo: t.padTo,
        leafCount: c.rootAt >= 0 ? c.leafCount : 0,
      }
      inflight.push(
        pool.hashPieces(data, job, true).then(
          (r) => {
            if (r.sha1) t.sha1!.set(r.sha1, c.sha1At * 20)
            if (r.roots) t.rootsOut!.set(r.roots, c.rootAt * 32)
            o.progress(length)
          },
          (err) => {
            failure ??= err
          },
        ),
      )
      while (inflight.length >= maxInflight) await inflight.shift()
      if (failure) throw failure
    }
    await Promise.all(inflight)
    if (failure) throw failure
  } catch (err) {
    await Promise.allSettled(inflight)
    throw err
  } finally {
    for (const r of readers.values()) await r.close().catch(() => {})
  }
}

/**
 * Reads the bytes of chunk `c`, opening each file's reader on its first segment (kept in `readers`)
 * and closing it after its last.
 */
async function readChunk(c: Chunk, readers: Map<Planned, Reader>, name: string): Promise<Uint8Array> {
  const length = c.segs.reduce((n, x) => n + x.length, 0)
  const data = new Uint8Array(length)
  let at = 0
  for (const x of c.segs) {
    let reader = readers.get(x.file)
    if (!reader) {
      reader = await openReader(x.file)
      readers.set(x.file, reader)
    }
    const got = await reader.read(data.subarray(at, at + x.length))
    if (got !== x.length)
      fail('METAINFO_IO', `${x.file.path.join('/') || name} is shorter than its ${x.file.length} bytes`)
    at += x.length
    if (x.pos + x.length === x.file.length) {
      readers.delete(x.file)
      await reader.close()
    }
  }
  return data
}

/**
 * Each v2 file's pieces root, and the piece layer of each file larger than one piece, taken from
 * the roots output of {@link hashContent}.
 */
export function fileRoots(
  rootBase: ChunkPlan['rootBase'],
  rootsOut: Uint8Array | undefined,
  pieceLength: number,
): { roots: Map<Planned, Uint8Array>; layers: Map<Planned, Uint8Array> } {
  const roots = new Map<Planned, Uint8Array>()
  const layers = new Map<Planned, Uint8Array>()
  for (const [f, base] of rootBase) {
    const n = Math.ceil(f.length / pieceLength)
    if (f.length <= pieceLength) roots.set(f, rootsOut!.slice(base * 32, base * 32 + 32))
    else {
      const layer = rootsOut!.slice(base * 32, (base + n) * 32)
      layers.set(f, layer)
      roots.set(f, pieceLayerRoot(layer, pieceLength))
    }
  }
  return { roots, layers }
}
