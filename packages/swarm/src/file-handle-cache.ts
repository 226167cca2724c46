import { constants } from 'node:fs'
import { type FileHandle, lstat, mkdir, open } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { SwarmError } from './errors.js'

/** @internal Default bound on open file handles per storage. */
export const DEFAULT_MAX_OPEN_FILES = 32

interface Entry {
  promise: Promise<FileHandle | undefined>
  users: number
  writable: boolean
}

/**
 * @internal A bounded LRU cache of open file handles. Handles in use are never closed under their user; the
 * least recently used idle handle is closed when more than `max` are open.
 *
 * Below `root` no symbolic link is followed: every directory between `root` and a file is checked
 * (with `lstat`, once) or created, and files are opened with `O_NOFOLLOW`. A link planted in a
 * shared download directory cannot redirect a write (or a read we would upload) outside it.
 */
export class FileHandleCache {
  readonly #max: number
  readonly #direct: boolean
  readonly #root: string | undefined
  readonly #entries = new Map<string, Entry>()
  /** Directories below the root already checked to be real directories. */
  readonly #checked = new Set<string>()

  /**
   * @param options `direct`: open files for writing with `O_DIRECT` (Linux; reads are not direct);
   *   `root`: the absolute directory below which no symbolic link is followed.
   */
  constructor(max = DEFAULT_MAX_OPEN_FILES, options: { direct?: boolean; root?: string } = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`expected maxOpenFiles >= 1, got ${max}`)
    this.#max = max
    this.#direct = options.direct === true
    this.#root = options.root
  }

  /** Number of handles currently open or opening. */
  get size(): number {
    return this.#entries.size
  }

  /**
   * Runs `fn` with a handle on `path`. For a write the file (and its directories) is created when
   * missing; for a read a missing file gives `undefined`.
   */
  async use<T>(
    path: string,
    write: boolean,
    fn: (fh: FileHandle | undefined) => Promise<T>,
    onCreate?: (fh: FileHandle) => Promise<void>,
  ): Promise<T> {
    let entry = this.#entries.get(path)
    if (entry && write && !entry.writable) {
      // Opened read-only (or found missing) before: reopen for writing once its users are done.
      this.#entries.delete(path)
      const old = entry
      void old.promise.then((fh) => (old.users === 0 ? fh?.close() : undefined)).catch(() => {})
      entry = undefined
    }
    if (!entry) {
      entry = { promise: this.#open(path, write, onCreate), users: 0, writable: write }
      this.#entries.set(path, entry)
    } else {
      this.#entries.delete(path)
      this.#entries.set(path, entry)
    }
    entry.users++
    try {
      const fh = await entry.promise.catch((err: unknown) => {
        if (this.#entries.get(path) === entry) this.#entries.delete(path)
        throw err
      })
      if (!fh && this.#entries.get(path) === entry) this.#entries.delete(path)
      return await fn(fh)
    } finally {
      entry.users--
      this.#evict()
    }
  }

  #evict(): void {
    if (this.#entries.size <= this.#max) return
    for (const [path, entry] of this.#entries) {
      if (this.#entries.size <= this.#max) break
      if (entry.users > 0) continue
      this.#entries.delete(path)
      void entry.promise.then((fh) => fh?.close()).catch(() => {})
    }
  }

  async #open(
    path: string,
    write: boolean,
    onCreate?: (fh: FileHandle) => Promise<void>,
  ): Promise<FileHandle | undefined> {
    const rel = this.#root === undefined ? '..' : relative(this.#root, dirname(path))
    if (rel.startsWith('..') || isAbsolute(rel)) return openHandle(path, write, onCreate, this.#direct, 0)
    if (!(await this.#checkParents(rel, write))) return undefined
    return openHandle(path, write, onCreate, this.#direct, constants.O_NOFOLLOW)
  }

  /**
   * Checks (or, for a write, creates) each directory of `rel` (a directory below the root); false
   * when one is missing for a read.
   * @throws {SwarmError} `SWARM_PATH_TRAVERSAL` when one is a symbolic link; `ENOTDIR` when one is a file.
   */
  async #checkParents(rel: string, create: boolean): Promise<boolean> {
    if (rel === '') return true
    let dir = this.#root!
    for (const part of rel.split(sep)) {
      dir = join(dir, part)
      if (this.#checked.has(dir)) continue
      let st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
        return undefined
      })
      if (!st) {
        if (!create) return false
        await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err
        })
        st = await lstat(dir)
      }
      if (st.isSymbolicLink()) throw new SwarmError('SWARM_PATH_TRAVERSAL', `${dir} is a symbolic link`)
      if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' })
      this.#checked.add(dir)
    }
    return true
  }

  /** Closes every handle (waits for nothing in use: call when no I/O is pending). */
  async close(): Promise<void> {
    const all = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(all.map((e) => e.promise.then((fh) => fh?.close()).catch(() => {})))
  }
}

async function openHandle(
  path: string,
  write: boolean,
  onCreate: ((fh: FileHandle) => Promise<void>) | undefined,
  direct: boolean,
  noFollow: number,
): Promise<FileHandle | undefined> {
  // Numeric flags: O_RDWR (| O_CREAT) never truncates nor appends, so positional writes land where asked.
  const writeFlags = constants.O_RDWR | (direct ? constants.O_DIRECT : 0) | noFollow
  try {
    return await openNoLink(path, write ? writeFlags : constants.O_RDONLY | noFollow)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !write) return undefined
    if (code === 'EACCES' && !write) return undefined
    if (code !== 'ENOENT') throw err
  }
  if (noFollow === 0) await mkdir(dirname(path), { recursive: true })
  const fh = await openNoLink(path, writeFlags | constants.O_CREAT)
  if (onCreate) await onCreate(fh)
  return fh
}

/** `open`, with the `ELOOP` of an `O_NOFOLLOW` open on a symbolic link as `SWARM_PATH_TRAVERSAL`. */
async function openNoLink(path: string, flags: number): Promise<FileHandle> {
  try {
    return await open(path, flags)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' && (flags & constants.O_NOFOLLOW) !== 0)
      throw new SwarmError('SWARM_PATH_TRAVERSAL', `${path} is a symbolic link`, { cause: err })
    throw err
  }
}
