import { constants } from 'node:fs'
import { type FileHandle, mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'

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
 */
export class FileHandleCache {
  readonly #max: number
  readonly #direct: boolean
  readonly #entries = new Map<string, Entry>()

  /** @param options `direct`: open files for writing with `O_DIRECT` (Linux; reads are not direct). */
  constructor(max = DEFAULT_MAX_OPEN_FILES, options: { direct?: boolean } = {}) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`expected maxOpenFiles >= 1, got ${max}`)
    this.#max = max
    this.#direct = options.direct === true
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
      entry = { promise: openHandle(path, write, onCreate, this.#direct), users: 0, writable: write }
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
  onCreate?: (fh: FileHandle) => Promise<void>,
  direct = false,
): Promise<FileHandle | undefined> {
  // Numeric flags: O_RDWR (| O_CREAT) never truncates nor appends, so positional writes land where asked.
  const writeFlags = constants.O_RDWR | (direct ? constants.O_DIRECT : 0)
  try {
    return await open(path, write ? writeFlags : 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !write) return undefined
    if (code === 'EACCES' && !write) return undefined
    if (code !== 'ENOENT') throw err
  }
  await mkdir(dirname(path), { recursive: true })
  const fh = await open(path, writeFlags | constants.O_CREAT)
  if (onCreate) await onCreate(fh)
  return fh
}
