import { constants } from 'node:fs'
import { type FileHandle, stat, utimes } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { SwarmError } from './errors.js'
import { DEFAULT_MAX_OPEN_FILES, FileHandleCache } from './file-handle-cache.js'
import { type FileState, forEachBounded, statFiles } from './file-states.js'
import { DIRECT_ALIGN, isAligned, MIN_ALIGNED } from './piece-buffer-pool.js'
import { isStateDir } from './state-dir.js'

export type { FileState } from './file-states.js'

/** @internal One file of a torrent in piece space (the shape of @p2p/metainfo's `FileEntry`). */
export interface StorageFile {
  /** Path components below the storage directory. */
  path: string[]
  /** Length in bytes. */
  length: number
  /** Offset of the file's first byte in piece space. */
  offset: number
  /** A pad file: never written, reads as zeros. */
  pad?: boolean
}

/** @internal Options of {@link Storage}. */
export interface StorageOptions {
  /** Directory every file is written below (nothing is ever written outside it). */
  dir: string
  /** Files in piece-space order, pad files included. */
  files: StorageFile[]
  /** Bound on open file handles. Default {@link DEFAULT_MAX_OPEN_FILES}. */
  maxOpenFiles?: number
  /** Which files are wanted (by index in `files`); default all. Bytes of unwanted files go to `partFile`. */
  selected?: readonly boolean[]
  /** Where bytes of pieces that spill into unwanted files are kept (a sparse file, piece-space offsets). */
  partFile?: string
  /** Set each file to its full length (sparse) when it is created. Default false. */
  preallocate?: boolean
  /**
   * Write page-aligned buffers (the piece buffers of a download) with `O_DIRECT`, bypassing the page
   * cache: no copy of every byte into kernel memory. Default true; falls back to ordinary writes
   * where the file system refuses it.
   */
  directIo?: boolean
}

const FORBIDDEN_COMPONENT = /[/\\\0]/

/**
 * @internal Resolves `components` below `dir`, refusing anything that could leave it, and the reserved
 * bookkeeping directory (`STATE_DIR`) as first component.
 * @throws {SwarmError} `SWARM_PATH_TRAVERSAL`
 */
export function confinedPath(dir: string, components: readonly string[]): string {
  if (components.length === 0) throw new SwarmError('SWARM_PATH_TRAVERSAL', 'empty file path')
  for (const c of components) {
    if (
      typeof c !== 'string' ||
      c === '' ||
      c === '.' ||
      c === '..' ||
      FORBIDDEN_COMPONENT.test(c) ||
      isAbsolute(c) ||
      /^[A-Za-z]:/.test(c)
    ) {
      throw new SwarmError('SWARM_PATH_TRAVERSAL', `unsafe path component ${JSON.stringify(c)}`)
    }
  }
  if (isStateDir(components[0]!)) {
    throw new SwarmError(
      'SWARM_PATH_TRAVERSAL',
      `${JSON.stringify(components[0])} is reserved for our bookkeeping`,
    )
  }
  const root = resolve(dir)
  const full = resolve(root, ...components)
  const rel = relative(root, full)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new SwarmError(
      'SWARM_PATH_TRAVERSAL',
      `path ${JSON.stringify(components.join('/'))} leaves ${root}`,
    )
  }
  return full
}

interface Span {
  file: number
  /** Offset within the file. */
  fileOffset: number
  /** Offset within the requested range. */
  at: number
  length: number
}

/**
 * @internal A torrent's bytes on disk: maps piece-space ranges to files (pad files read as zeros and are never
 * written), writes through one bounded file-handle cache, and keeps bytes that belong to unselected
 * files in a sparse part file so boundary pieces still verify.
 *
 * @example
 * ```ts
 * const s = new Storage({ dir: '/tmp/out', files: [{ path: ['a.bin'], length: 100, offset: 0 }] })
 * await s.write(0, new Uint8Array(100))
 * const bytes = await s.read(0, 100)
 * await s.close()
 * ```
 */
export class Storage {
  /** Total bytes of piece space (pad files included). */
  readonly length: number
  readonly #files: StorageFile[]
  readonly #paths: string[]
  readonly #selected: boolean[]
  readonly #partFile: string | undefined
  /** The last queued write of each file: writes to one file run one at a time. */
  readonly #writeTails = new Map<string, Promise<void>>()
  readonly #cache: FileHandleCache
  /** Handles opened with O_DIRECT for aligned writes; undefined once the file system refused it. */
  #direct: FileHandleCache | undefined
  readonly #preallocate: boolean
  /** Files this storage has written to (a file set to skip after that keeps its own file, as libtorrent). */
  readonly #touched = new Set<number>()
  /** Files whose part-file bytes are being moved into the file: their reads wait. */
  readonly #moving = new Map<number, Promise<void>>()

  /** @throws {SwarmError} `SWARM_PATH_TRAVERSAL` for an unsafe path, `SWARM_INVALID_ARGUMENT` for bad offsets. */
  constructor(options: StorageOptions) {
    this.#files = options.files
    this.#paths = options.files.map((f) => (f.pad ? '' : confinedPath(options.dir, f.path)))
    let end = 0
    for (const f of options.files) {
      if (!Number.isSafeInteger(f.length) || f.length < 0 || f.offset !== end) {
        throw new SwarmError(
          'SWARM_INVALID_ARGUMENT',
          `file ${f.path.join('/')} is not contiguous in piece space`,
        )
      }
      end += f.length
    }
    const seen = new Set<string>()
    for (const p of this.#paths) {
      if (p === '') continue
      if (seen.has(p)) throw new SwarmError('SWARM_PATH_TRAVERSAL', `two files share the path ${p}`)
      seen.add(p)
    }
    this.length = end
    this.#selected = options.files.map((_, i) => options.selected?.[i] ?? true)
    this.#partFile = options.partFile
    // With O_DIRECT a file being written has two handles: the two caches share maxOpenFiles.
    const max = options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES
    const direct = options.directIo !== false && constants.O_DIRECT !== undefined && max > 1
    const root = resolve(options.dir)
    this.#cache = new FileHandleCache(direct ? Math.ceil(max / 2) : max, { root })
    if (direct) this.#direct = new FileHandleCache(Math.floor(max / 2), { direct: true, root })
    this.#preallocate = options.preallocate ?? false
  }

  /** Absolute path of file `i` (empty for pad files). */
  filePath(i: number): string {
    return this.#paths[i] ?? ''
  }

  /** Whether file `i` is selected. */
  isSelected(i: number): boolean {
    return this.#selected[i] ?? false
  }

  /**
   * File `i` becomes wanted: its bytes go to its own file from now on, and the bytes of `ranges`
   * (piece-space ranges, e.g. the pieces we have that touch the file) already in the part file
   * are copied into it (libtorrent's part file export). Reads of the file wait for the copy.
   * @throws {SwarmError} `SWARM_STORAGE`.
   */
  async select(i: number, ranges: readonly { offset: number; length: number }[] = []): Promise<void> {
    const f = this.#files[i]
    if (!f || f.pad || this.#selected[i]) return
    this.#selected[i] = true
    const path = this.#paths[i]!
    if (f.length === 0) return this.#io(path, true, async () => {})
    const part = this.#partFile
    if (!part) return
    const move = (async () => {
      // Writes routed to the part file before the switch land first.
      await this.#writeTails.get(part)
      for (const r of ranges) {
        const from = Math.max(r.offset, f.offset)
        const to = Math.min(r.offset + r.length, f.offset + f.length)
        if (to <= from) continue
        const buf = new Uint8Array(to - from)
        await this.#io(part, false, (fh) => (fh ? readAll(fh, buf, from) : Promise.resolve()))
        await this.#serial(path, () =>
          this.#io(path, true, (fh) => writeAll(fh!, buf, from - f.offset), f.length),
        )
      }
    })()
    this.#moving.set(i, move)
    try {
      await move
    } finally {
      if (this.#moving.get(i) === move) this.#moving.delete(i)
    }
  }

  /**
   * File `i` is no longer wanted. As libtorrent, bytes of it that later pieces carry go to the part
   * file only if the file does not exist yet (nor was written by us); otherwise they keep going to
   * the file. Returns whether the file now uses the part file.
   */
  async deselect(i: number): Promise<boolean> {
    const f = this.#files[i]
    if (!f || f.pad || !this.#selected[i] || !this.#partFile) return false
    if (this.#touched.has(i) || this.#moving.has(i)) return false
    const exists = await stat(this.#paths[i]!).then(
      () => true,
      () => false,
    )
    if (exists || this.#touched.has(i) || !this.#selected[i]) return false
    this.#selected[i] = false
    return true
  }

  /**
   * At startup, as libtorrent: an unwanted file that already exists on disk keeps its bytes in
   * place (it does not use the part file). Returns the indexes of the files switched.
   */
  async keepExistingFiles(): Promise<number[]> {
    const kept: number[] = []
    if (!this.#partFile) return kept
    const unselected = this.#paths.map((p, i) => (this.#selected[i] ? '' : p))
    const states = await statFiles(unselected, true)
    for (const [i, state] of states.entries()) {
      if (!state) continue
      this.#selected[i] = true
      kept.push(i)
    }
    return kept
  }

  /** Indexes of the files overlapping the piece-space range [offset, offset + length). */
  filesIn(offset: number, length: number): number[] {
    return this.#spans(offset, length).map((s) => s.file)
  }

  #spans(offset: number, length: number): Span[] {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.length
    ) {
      throw new SwarmError('SWARM_OUT_OF_RANGE', `range ${offset}+${length} outside 0..${this.length}`)
    }
    const out: Span[] = []
    // Binary search the first file that ends after `offset`.
    let lo = 0
    let hi = this.#files.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const f = this.#files[mid]!
      if (f.offset + f.length <= offset) lo = mid + 1
      else hi = mid
    }
    const end = offset + length
    for (let i = lo; i < this.#files.length; i++) {
      const f = this.#files[i]!
      if (f.offset >= end) break
      if (f.length === 0) continue
      const s = Math.max(offset, f.offset)
      const e = Math.min(end, f.offset + f.length)
      if (e > s) out.push({ file: i, fileOffset: s - f.offset, at: s - offset, length: e - s })
    }
    return out
  }

  /**
   * Writes `data` at piece-space `offset`.
   * @throws {SwarmError} `SWARM_STORAGE` when the file system fails (disk full...), `SWARM_OUT_OF_RANGE`.
   */
  async write(offset: number, data: Uint8Array): Promise<void> {
    const spans = this.#spans(offset, data.length)
    await Promise.all(
      spans.map(async (s) => {
        const f = this.#files[s.file]!
        if (f.pad) return
        const chunk = data.subarray(s.at, s.at + s.length)
        if (this.#selected[s.file]) {
          const path = this.#paths[s.file]!
          this.#touched.add(s.file)
          await this.#serial(path, () => this.#writeFile(path, chunk, s.fileOffset, f.length))
        } else if (this.#partFile) {
          const path = this.#partFile
          await this.#serial(path, () =>
            this.#io(path, true, (fh) => writeAll(fh!, chunk, f.offset + s.fileOffset)),
          )
        }
      }),
    )
  }

  /**
   * Runs `fn` after the writes already queued for `path`. Concurrent pwrites to one file contend on
   * its inode lock in the kernel, whose waiters spin: with libuv's 4 threads writing 1 MiB pieces at
   * once that burned more CPU than the download itself.
   */
  #serial(path: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.#writeTails.get(path) ?? Promise.resolve()).then(fn)
    const tail = run.then(
      () => {},
      () => {},
    )
    this.#writeTails.set(path, tail)
    void tail.then(() => {
      if (this.#writeTails.get(path) === tail) this.#writeTails.delete(path)
    })
    return run
  }

  /**
   * Reads `length` bytes at piece-space `offset`; pad files and missing data read as zeros. Fills
   * `into` (its first `length` bytes) when given, else a new buffer.
   * @throws {SwarmError} `SWARM_STORAGE`, `SWARM_OUT_OF_RANGE`.
   */
  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    // Not zeroed: the spans cover the range and each is read or zero-filled (a seeder reads a whole
    // piece per upload: zeroing it first cost as much as the copy from the page cache).
    if (into && into.length < length) throw new RangeError(`read into ${into.length} bytes, need ${length}`)
    const out = into
      ? into.subarray(0, length)
      : new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length)
    const spans = this.#spans(offset, length)
    await Promise.all(
      spans.map(async (s) => {
        const f = this.#files[s.file]!
        const into = out.subarray(s.at, s.at + s.length)
        if (f.pad) {
          into.fill(0)
          return
        }
        await this.#moving.get(s.file)
        const path = this.#selected[s.file] || !this.#partFile ? this.#paths[s.file]! : this.#partFile
        const pos = path === this.#partFile ? f.offset + s.fileOffset : s.fileOffset
        await this.#io(path, false, async (fh) => {
          if (fh) await readAll(fh, into, pos)
          else into.fill(0)
        })
      }),
    )
    return out
  }

  /** Creates the zero-length selected files (they never receive a write). */
  async createEmptyFiles(): Promise<void> {
    const empty = [...this.#files.keys()].filter((i) => {
      const f = this.#files[i]!
      return f.length === 0 && !f.pad && this.#selected[i]
    })
    await forEachBounded(empty, (i) => this.#io(this.#paths[i]!, true, async () => {}))
  }

  /** Size and mtime of every file (`undefined` for pad files and missing files). */
  fileStates(): Promise<(FileState | undefined)[]> {
    return statFiles(this.#paths)
  }

  /** Sets the modification time of file `i` (tests and tools). */
  async touch(i: number, time: Date): Promise<void> {
    await utimes(this.#paths[i]!, time, time)
  }

  /** Closes every open file handle. */
  async close(): Promise<void> {
    await this.#direct?.close()
    await this.#cache.close()
  }

  /**
   * Writes `chunk` at `position` of a selected file: its page-aligned part with O_DIRECT when the
   * buffer allows it, the rest (a file's unaligned tail) through the page cache.
   */
  async #writeFile(path: string, chunk: Uint8Array, position: number, fileLength: number): Promise<void> {
    const direct = this.#direct
    const n = chunk.length - (chunk.length % DIRECT_ALIGN)
    let done = 0
    if (direct && n >= MIN_ALIGNED && position % DIRECT_ALIGN === 0 && isAligned(chunk)) {
      try {
        const onCreate = this.#preallocate ? async (fh: FileHandle) => fh.truncate(fileLength) : undefined
        await direct.use(path, true, (fh) => writeAll(fh!, chunk.subarray(0, n), position), onCreate)
        done = n
      } catch (err) {
        // EINVAL: this file system (or a short write) does not allow O_DIRECT; write normally from now on.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw storageError(err, path, true)
        this.#direct = undefined
        void direct.close()
      }
    }
    if (done < chunk.length) {
      await this.#io(path, true, (fh) => writeAll(fh!, chunk.subarray(done), position + done), fileLength)
    }
  }

  async #io(
    path: string,
    write: boolean,
    fn: (fh: FileHandle | undefined) => Promise<void>,
    length?: number,
  ): Promise<void> {
    const onCreate =
      this.#preallocate && length !== undefined ? async (fh: FileHandle) => fh.truncate(length) : undefined
    try {
      await this.#cache.use(path, write, fn, onCreate)
    } catch (err) {
      throw storageError(err, path, write)
    }
  }
}

function storageError(err: unknown, path: string, write: boolean): SwarmError {
  if (err instanceof SwarmError) return err
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
  return new SwarmError('SWARM_STORAGE', `${write ? 'writing' : 'reading'} ${path} failed: ${code}`, {
    cause: err,
  })
}

async function writeAll(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done)
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' })
    done += bytesWritten
  }
}

async function readAll(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done)
    if (bytesRead === 0) {
      into.fill(0, done) // past the end of the file: the rest reads as zeros
      return
    }
    done += bytesRead
  }
}
