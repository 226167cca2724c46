/**
 * Reusable piece buffers for a downloading torrent: a v1 piece is hashed by the worker from disk
 * once written, so its buffer is reused right after the write instead of a fresh 1 MiB buffer per
 * piece (and no dead piece lingers in the worker's heap until its next GC). Plain `ArrayBuffer`s:
 * copying into a `SharedArrayBuffer` is about 10x slower in V8. Keeps at most `maxFreeBytes` idle.
 * @internal
 */
export class PieceBufferPool {
  readonly #free = new Map<number, Uint8Array[]>()
  readonly #maxFreeBytes: number
  #freeBytes = 0

  constructor(maxFreeBytes: number) {
    this.#maxFreeBytes = maxFreeBytes
  }

  /** A buffer of `length` bytes with unspecified contents (every byte is overwritten by blocks). */
  take(length: number): Uint8Array {
    const reused = this.#free.get(length)?.pop()
    if (reused) {
      this.#freeBytes -= length
      return reused
    }
    return Buffer.allocUnsafeSlow(length)
  }

  /** Returns a buffer from {@link take} that nothing reads or writes any more. */
  give(buf: Uint8Array): void {
    if (this.#freeBytes + buf.length > this.#maxFreeBytes) return
    let list = this.#free.get(buf.length)
    if (!list) {
      list = []
      this.#free.set(buf.length, list)
    }
    list.push(buf)
    this.#freeBytes += buf.length
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.#free.clear()
    this.#freeBytes = 0
  }
}
