import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { encode } from '@p2p/bencode'
import { fail } from './errors.js'
import { HashPool } from './hash-pool.js'
import { BLOCK_SIZE, blockRoot, nextPowerOfTwo, pieceLayerRoot } from './merkle.js'
import { parseTorrent } from './parse.js'
import { sanitizeElement } from './sanitize.js'
import { collectSources, openReader, type Reader, type SourceFile } from './sources.js'
import type { CreateOptions, FileInput, Metainfo, TorrentVersion } from './types.js'

type Encodable = Parameters<typeof encode>[0]

/** Bytes sent to a worker per job (a multiple of the piece length). */
const CHUNK = 4 * 1024 * 1024

/**
 * libtorrent-style automatic piece length: the smallest power of two >= 16 KiB that keeps the
 * torrent under about 1500 pieces, capped at 16 MiB.
 */
export function defaultPieceLength(totalSize: number): number {
  let pl = BLOCK_SIZE
  while (pl < 16 * 1024 * 1024 && totalSize / pl > 1500) pl *= 2
  return pl
}

/**
 * transmission-create 3.00's automatic piece length (`bestPieceSize`): 32 KiB below 50 MiB, then
 * 64 KiB, 128 KiB (150 MiB), 256 KiB (350 MiB), 512 KiB (512 MiB), 1 MiB (1 GiB), 2 MiB (2 GiB
 * and more).
 */
export function transmission3PieceLength(totalSize: number): number {
  const MiB = 1024 * 1024
  const steps: [number, number][] = [
    [2048 * MiB, 2 * MiB],
    [1024 * MiB, MiB],
    [512 * MiB, 512 * 1024],
    [350 * MiB, 256 * 1024],
    [150 * MiB, 128 * 1024],
    [50 * MiB, 64 * 1024],
  ]
  for (const [atLeast, pieceLength] of steps) if (totalSize >= atLeast) return pieceLength
  return 32 * 1024
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

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) fail('METAINFO_ABORTED', 'torrent creation aborted', signal.reason)
}

function normalizeAnnounce(a: CreateOptions['announce']): string[][] {
  if (a === undefined) return []
  if (typeof a === 'string') return a ? [[a]] : []
  return a
    .map((tier) => tier.filter((u) => typeof u === 'string' && u.length > 0))
    .filter((t) => t.length > 0)
}

interface Planned extends SourceFile {
  /** Offset in piece space. */
  offset: number
}

/** A byte range of one file inside a hashing chunk. */
interface Seg {
  file: Planned
  pos: number
  length: number
}

/** Consecutive whole pieces hashed as one job. */
interface Chunk {
  segs: Seg[]
  /** First SHA-1 piece, or -1 for none (v2-only). */
  sha1At: number
  /** First v2 root (index in the roots output), or -1 for none (v1-only). */
  rootAt: number
  /** v2 leaves per root. */
  leafCount: number
}

/** Content up to this size is hashed on the calling thread (no worker start-up). */
const INLINE_MAX = 1024 * 1024

type PieceHasher = Pick<HashPool, 'threads' | 'hashPieces'>

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
 * Content read here, in order (bytes, streams, and small content on disk), and hashed chunk by
 * chunk on `pool`, with at most `maxBuffered` bytes in flight.
 */
async function hashInThisThread(
  chunks: Chunk[],
  pool: PieceHasher,
  o: {
    pieceLength: number
    padTo: number
    sha1: Uint8Array | undefined
    rootsOut: Uint8Array | undefined
    maxBuffered: number
    chunk: number
    name: string
    signal: AbortSignal | undefined
    progress: (n: number) => void
  },
): Promise<void> {
  const maxInflight = Math.max(pool.threads + 1, Math.floor(o.maxBuffered / o.chunk))
  const inflight: Promise<void>[] = []
  const readers = new Map<Planned, Reader>()
  let failure: unknown
  try {
    for (const c of chunks) {
      checkAbort(o.signal)
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
          fail('METAINFO_IO', `${x.file.path.join('/') || o.name} is shorter than its ${x.file.length} bytes`)
        at += x.length
        if (x.pos + x.length === x.file.length) {
          readers.delete(x.file)
          await reader.close()
        }
      }
      const job = {
        pieceLength: o.pieceLength,
        sha1: c.sha1At >= 0,
        padTo: o.padTo,
        leafCount: c.rootAt >= 0 ? c.leafCount : 0,
      }
      inflight.push(
        pool.hashPieces(data, job, true).then(
          (r) => {
            if (r.sha1) o.sha1!.set(r.sha1, c.sha1At * 20)
            if (r.roots) o.rootsOut!.set(r.roots, c.rootAt * 32)
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
 * Creates a `.torrent`: v1 (BEP 3), v2 (BEP 52) or hybrid (default, with BEP 47 pad files), with
 * libtorrent's file order and layout, so the same content and options give libtorrent's info
 * hashes. Hashing runs on worker threads over large sequential reads (content up to 1 MiB is
 * hashed on the calling thread, sparing the worker start-up); at most `maxBufferedBytes` of
 * content are in memory at once.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { createTorrent } from '@p2p/metainfo'
 * const { torrent, metainfo } = await createTorrent('./album', {
 *   announce: [['udp://tracker.example:6969/announce']],
 *   onProgress: (done, total) => console.log(`${Math.round((100 * done) / total)}%`),
 * })
 * await writeFile(`${metainfo.name}.torrent`, torrent)
 * ```
 * @param input a file or directory path, the bytes of one file (needs `options.name`), or a list
 *   of files with their content.
 * @throws MetainfoError `METAINFO_INVALID_INPUT`, `METAINFO_INVALID_OPTION`, `METAINFO_IO`,
 *   `METAINFO_ABORTED`.
 */
export async function createTorrent(
  input: string | Uint8Array | FileInput[],
  options: CreateOptions = {},
): Promise<{ torrent: Uint8Array; metainfo: Metainfo }> {
  const signal = options.signal
  checkAbort(signal)
  const threads = options.threads
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    fail('METAINFO_INVALID_OPTION', `threads must be an integer 1..64, got ${threads}`)
  }
  const compat = options.compat ?? 'libtorrent'
  if (compat !== 'libtorrent' && compat !== 'transmission-3') {
    fail('METAINFO_INVALID_OPTION', `compat must be 'libtorrent' or 'transmission-3', got ${String(compat)}`)
  }
  const tr = compat === 'transmission-3'
  const version: TorrentVersion = options.version ?? (tr ? 1 : 'hybrid')
  if (version !== 1 && version !== 2 && version !== 'hybrid') {
    fail('METAINFO_INVALID_OPTION', `version must be 1, 2 or 'hybrid', got ${String(version)}`)
  }
  if (tr && version !== 1) fail('METAINFO_INVALID_OPTION', "compat 'transmission-3' makes v1 torrents only")
  const src = await collectSources(input, {
    name: options.name,
    includeHidden: options.includeHidden ?? !tr,
    maxFiles: options.maxFiles ?? 1_000_000,
    order: options.order === 'given' && version === 1 ? 'given' : tr ? 'transmission-3' : 'libtorrent',
  })
  if (tr) {
    // transmission-create 3.00 leaves out empty files and writes no BEP 47 attributes
    src.files = src.files.filter((f) => f.length > 0)
    for (const f of src.files) delete f.attr
  }
  const name = sanitizeElement(src.name)
  if (!name) fail('METAINFO_INVALID_INPUT', `unusable torrent name ${JSON.stringify(src.name)}`)
  const contentSize = src.files.reduce((n, f) => n + f.length, 0)
  if (contentSize === 0)
    fail('METAINFO_INVALID_INPUT', 'the content is empty (0 bytes): no client loads such a torrent')

  const pieceLength = options.pieceLength ?? (tr ? transmission3PieceLength : defaultPieceLength)(contentSize)
  if (
    !Number.isSafeInteger(pieceLength) ||
    pieceLength < BLOCK_SIZE ||
    (pieceLength & (pieceLength - 1)) !== 0 ||
    pieceLength > 2 ** 29
  ) {
    fail(
      'METAINFO_INVALID_OPTION',
      `pieceLength must be a power of two from 16 KiB to 512 MiB, got ${pieceLength}`,
    )
  }
  const v1 = version !== 2
  const v2 = version !== 1
  const padded = version === 'hybrid' && !src.single

  // piece space layout (hybrid: a pad after every file that does not end on a piece boundary,
  // the last one included, as libtorrent 2.0.8)
  const planned: Planned[] = []
  const v1Entries: Encodable[] = []
  let offset = 0
  for (const f of src.files) {
    planned.push({ ...f, offset })
    offset += f.length
    if (!src.single) {
      const entry: Record<string, Encodable> = { length: f.length, path: f.path }
      if (f.attr) entry.attr = f.attr
      if (f.symlinkPath) entry['symlink path'] = f.symlinkPath
      v1Entries.push(entry)
    }
    if (padded && f.length > 0 && offset % pieceLength !== 0) {
      const size = pieceLength - (offset % pieceLength)
      v1Entries.push({ attr: 'p', length: size, path: ['.pad', String(size)] })
      offset += size
    }
  }
  const totalSize = offset
  const pieceCount = Math.ceil(totalSize / pieceLength)
  const sha1 = v1 ? new Uint8Array(new SharedArrayBuffer(pieceCount * 20)) : undefined
  const roots = new Map<Planned, Uint8Array>()
  const layers = new Map<Planned, Uint8Array>()

  // the work: chunks of consecutive whole pieces (v1: across files; v2/hybrid: within one file)
  const chunk = Math.max(pieceLength, Math.floor(CHUNK / pieceLength) * pieceLength)
  const chunks: Chunk[] = []
  /** v2: where each file's roots start in `rootsOut` (one per piece, or one for a small file). */
  const rootBase = new Map<Planned, number>()
  let rootCount = 0
  if (!v2) {
    let segs: Seg[] = []
    let fill = 0
    let piece = 0
    const flush = () => {
      chunks.push({ segs, sha1At: piece, rootAt: -1, leafCount: 0 })
      piece += Math.ceil(fill / pieceLength)
      segs = []
      fill = 0
    }
    for (const f of planned) {
      for (let pos = 0; pos < f.length; ) {
        const n = Math.min(f.length - pos, chunk - fill)
        segs.push({ file: f, pos, length: n })
        pos += n
        fill += n
        if (fill === chunk) flush()
      }
    }
    if (fill > 0) flush()
  } else {
    for (const f of planned) {
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
  }
  const rootsOut = v2 ? new Uint8Array(new SharedArrayBuffer(rootCount * 32)) : undefined
  const padTo = padded ? pieceLength : 0

  const inline = !options.pool && contentSize <= INLINE_MAX
  const threadCount = options.threads ?? availableParallelism()
  const here = options.hashOnCallingThread === true && !options.pool && threadCount > 1
  const pool = options.pool ?? (inline ? undefined : sharedPool(here ? threadCount - 1 : threadCount))
  let hashed = 0
  const progress = (n: number) => {
    hashed += n
    options.onProgress?.(Math.min(hashed, contentSize), contentSize)
  }
  try {
    if (pool && planned.every((f) => f.fsPath !== undefined)) {
      // files on disk: every worker reads and hashes chunks it claims itself
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
      await pool.hashPlan(
        { paths, chunks: table, segments, pieceLength, padTo, sha1Out: sha1, rootsOut },
        { onProgress: options.onProgress && progress, signal, callingThread: here },
      )
    } else {
      await hashInThisThread(chunks, pool ?? inlineHasher, {
        pieceLength,
        padTo,
        sha1,
        rootsOut,
        maxBuffered: Math.max(options.maxBufferedBytes ?? 64 * 1024 * 1024, pieceLength),
        chunk,
        name,
        signal,
        progress,
      })
    }
    checkAbort(signal)
  } catch (err) {
    if (signal?.aborted) fail('METAINFO_ABORTED', 'torrent creation aborted', signal.reason)
    throw err
  }
  for (const [f, base] of rootBase) {
    const n = Math.ceil(f.length / pieceLength)
    if (f.length <= pieceLength) roots.set(f, rootsOut!.slice(base * 32, base * 32 + 32))
    else {
      const layer = rootsOut!.slice(base * 32, (base + n) * 32)
      layers.set(f, layer)
      roots.set(f, pieceLayerRoot(layer, pieceLength))
    }
  }

  // the info dictionary
  const info: Record<string, Encodable> = { name, 'piece length': pieceLength }
  if (v1) {
    if (src.single) info.length = src.files[0]!.length
    else info.files = v1Entries
    info.pieces = new Uint8Array(sha1!)
    if (src.single && src.files[0]!.attr) info.attr = src.files[0]!.attr
  }
  if (v2) {
    info['meta version'] = 2
    const tree = new Map<string, unknown>()
    for (const f of planned) {
      const path = src.single ? [name] : f.path
      let node = tree
      for (const c of path.slice(0, -1)) {
        let next = node.get(c) as Map<string, unknown> | undefined
        if (!next) {
          next = new Map()
          node.set(c, next)
        }
        node = next
      }
      const leaf: Record<string, Encodable> = { length: f.length }
      const root = roots.get(f)
      if (root) leaf['pieces root'] = root
      if (f.attr) leaf.attr = f.attr
      if (f.symlinkPath) leaf['symlink path'] = f.symlinkPath
      node.set(path[path.length - 1]!, new Map([['', leaf]]))
    }
    info['file tree'] = tree as unknown as Encodable
  }
  if (options.private) info.private = 1
  else if (tr) info.private = 0 // transmission-create 3.00 always writes the key
  if (options.source) info.source = options.source

  const top: Record<string, Encodable> = { info }
  const tiers = normalizeAnnounce(options.announce)
  if (tiers.length > 0) {
    top.announce = tiers[0]![0]!
    if (tiers.length > 1 || tiers[0]!.length > 1) top['announce-list'] = tiers
  }
  if (options.comment) top.comment = options.comment
  if (options.createdBy) top['created by'] = options.createdBy
  if (options.creationDate !== false)
    top['creation date'] = options.creationDate ?? Math.floor(Date.now() / 1000)
  if (options.urlList && options.urlList.length > 0)
    top['url-list'] = options.urlList.length === 1 ? options.urlList[0]! : options.urlList
  if (v2 && layers.size > 0) {
    const pl = new Map<Uint8Array, Encodable>()
    for (const [f, layer] of layers) pl.set(roots.get(f)!, layer)
    top['piece layers'] = pl as unknown as Encodable
  }
  const torrent = encode(top)
  return {
    torrent,
    metainfo: parseTorrent(torrent, {
      maxSize: Math.max(80_000_000, torrent.length),
      maxPieces: Math.max(0x200000, pieceCount),
    }),
  }
}
