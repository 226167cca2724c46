/** A piece read for uploads: `bytes` is valid while the entry is held or until the callback returns. */
export interface CachedPiece {
  readonly index: number
  readonly bytes: Uint8Array
}

interface Entry extends CachedPiece {
  readonly buf: Uint8Array
  /** Blocks of `buf` handed to a transport and not yet written. */
  refs: number
  /** Callbacks waiting for the read (undefined once it finished). */
  waiters: ((err: Error | undefined, piece: CachedPiece | undefined) => void)[] | undefined
  evicted: boolean
}

/** Options of {@link PieceReadCache}. */
export interface PieceReadCacheOptions {
  /** Fills `into` with piece `index` (its exact length). */
  read(index: number, into: Uint8Array): Promise<unknown>
  /** Length of piece `index`. */
  length(index: number): number
  /** Size of each buffer (the longest piece). */
  bufferSize: number
  /** Pieces kept after their read (default 8); pieces being read are not counted. */
  maxPieces?: number
  /** Spare buffers kept for reuse (default 4). */
  maxFree?: number
}

/**
 * Whole pieces read once for uploads, since peers ask for a piece block by block: an LRU of the last
 * few pieces read, whose buffers come from (and go back to) a small pool. Callers asking for a piece
 * being read share that read. A block handed to a socket keeps its buffer out of the pool until
 * written: {@link hold} before, {@link release} once written.
 */
export class PieceReadCache {
  readonly #entries = new Map<number, Entry>()
  readonly #free: Uint8Array[] = []
  readonly #o: PieceReadCacheOptions
  readonly #maxPieces: number
  readonly #maxFree: number

  constructor(options: PieceReadCacheOptions) {
    this.#o = options
    this.#maxPieces = options.maxPieces ?? 8
    this.#maxFree = options.maxFree ?? 4
  }

  /** Pieces cached or being read. */
  get size(): number {
    return this.#entries.size
  }

  /** Spare buffers in the pool. */
  get freeBuffers(): number {
    return this.#free.length
  }

  /**
   * Calls `done` with piece `index`: at once (synchronously) when cached, else once read. `bytes`
   * stays valid during the call; {@link hold} it to keep it past that.
   */
  get(index: number, done: (err: Error | undefined, piece: CachedPiece | undefined) => void): void {
    const e = this.#entries.get(index)
    if (e) {
      this.#entries.delete(index)
      this.#entries.set(index, e)
      if (e.waiters) e.waiters.push(done)
      else done(undefined, e)
      return
    }
    const length = this.#o.length(index)
    const buf = this.#free.pop() ?? new Uint8Array(Buffer.allocUnsafeSlow(this.#o.bufferSize).buffer)
    const entry: Entry = {
      index,
      buf,
      bytes: buf.subarray(0, length),
      refs: 0,
      waiters: [done],
      evicted: false,
    }
    this.#entries.set(index, entry)
    this.#o.read(index, entry.bytes).then(
      () => this.#settle(entry, undefined),
      (err: Error) => {
        if (this.#entries.get(index) === entry) this.#entries.delete(index)
        entry.evicted = true
        this.#settle(entry, err)
      },
    )
  }

  #settle(e: Entry, err: Error | undefined): void {
    const waiters = e.waiters ?? []
    e.waiters = undefined
    e.refs++ // the buffer stays ours while the waiters run
    for (const w of waiters) {
      try {
        w(err, err ? undefined : e)
      } catch {
        // a caller's error is not the cache's
      }
    }
    this.release(e)
    this.#evict()
  }

  /** Keeps `piece`'s buffer out of the pool until a matching {@link release}. */
  hold(piece: CachedPiece): void {
    ;(piece as Entry).refs++
  }

  /** Ends one {@link hold}. */
  release(piece: CachedPiece): void {
    const e = piece as Entry
    e.refs--
    if (e.refs === 0 && e.evicted) this.#recycle(e)
  }

  /** Forgets every piece (buffers still held return to the pool once released). */
  clear(): void {
    for (const e of this.#entries.values()) {
      if (e.waiters) continue // settles on its own; dropped below
      e.evicted = true
      if (e.refs === 0) this.#recycle(e)
    }
    this.#entries.clear()
  }

  #evict(): void {
    let ready = 0
    for (const e of this.#entries.values()) if (!e.waiters) ready++
    for (const e of this.#entries.values()) {
      if (ready <= this.#maxPieces) break
      if (e.waiters) continue
      this.#entries.delete(e.index)
      ready--
      e.evicted = true
      if (e.refs === 0) this.#recycle(e)
    }
  }

  #recycle(e: Entry): void {
    if (this.#free.length < this.#maxFree && e.buf.length === this.#o.bufferSize) this.#free.push(e.buf)
  }
}
