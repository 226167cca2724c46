import type { FileState, StorageFile, StorageOptions, TorrentStorage } from '@p2p/swarm'

/**
 * A torrent's storage in memory: the whole piece space in one buffer (the simulator's torrents are
 * small). Every operation completes on the next microtask, so storage adds no ordering of its own.
 * With `shared`, no buffer of its own: see the constructor.
 */
export class MemoryStorage implements TorrentStorage {
  readonly bytes: Uint8Array
  readonly #files: StorageFile[]
  /** Files that hold bytes (a seed's from the start, a leecher's once written). */
  readonly #present: boolean[]
  readonly #shared: boolean

  /**
   * @param content the piece space's bytes when the data is already there (a seed)
   * @param shared the piece space's true bytes, read in place of a private copy, and writes dropped:
   *   a peer reads only pieces it verified (equal to these), so thousands of peers share one buffer
   */
  constructor(options: StorageOptions, content?: Uint8Array, shared?: Uint8Array) {
    this.#files = options.files
    const last = options.files[options.files.length - 1]
    this.#shared = shared !== undefined
    this.bytes = shared ?? new Uint8Array(last ? last.offset + last.length : 0)
    if (content && !shared) this.bytes.set(content.subarray(0, this.bytes.length))
    this.#present = options.files.map(() => content !== undefined)
  }

  isSelected(): boolean {
    return true
  }

  async select(): Promise<void> {}

  async deselect(): Promise<boolean> {
    return false
  }

  async keepExistingFiles(): Promise<number[]> {
    return []
  }

  filesIn(offset: number, length: number): number[] {
    const out: number[] = []
    for (const [i, f] of this.#files.entries()) {
      if (f.offset < offset + length && f.offset + f.length > offset) out.push(i)
    }
    return out
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (!this.#shared) this.bytes.set(data, offset)
    for (const i of this.filesIn(offset, data.length)) this.#present[i] = true
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const out = into ? into.subarray(0, length) : new Uint8Array(length)
    out.set(this.bytes.subarray(offset, offset + length))
    return out
  }

  async createEmptyFiles(): Promise<void> {}

  async fileStates(): Promise<(FileState | undefined)[]> {
    return this.#files.map((f, i) =>
      this.#present[i] && !f.pad ? { size: f.length, mtimeMs: 0 } : undefined,
    )
  }

  async close(): Promise<void> {}
}
