/**
 * Reusable piece buffers for a downloading torrent, backed by `SharedArrayBuffer`: the hash worker
 * reads a piece in place (neither copied nor transferred, so no dead piece lingers in the worker's
 * heap until its next GC) and the buffer is reused once the piece is written and checked. Keeps at
 * most `maxFreeBytes` of idle buffers.
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
    return new Uint8Array(new SharedArrayBuffer(length))
  }

  /** Returns a buffer from {@link take} that nothing reads or writes any more. */
  give(buf: Uint8Array): void {
    if (this.#freeBytes + buf.length > this.#maxFreeBytes) return
    let list = this.#free.get(buf.length)
    if (!list) this.#free.set(buf.length, (list = []))
    list.push(buf)
    this.#freeBytes += buf.length
  }

  /** Drops every idle buffer. */
  clear(): void {
    this.#free.clear()
    this.#freeBytes = 0
  }
}
