/** Alignment of {@link alignedBuffer} views: what `O_DIRECT` needs of memory, offsets and lengths. */
export const DIRECT_ALIGN = 4096

/**
 * Smallest buffer {@link alignedBuffer} takes from WebAssembly memory, and smallest write Storage does
 * with O_DIRECT: such a write goes to the disk at once, which for small pieces costs more in latency
 * than the copy into the page cache it saves.
 */
export const MIN_ALIGNED = 256 * 1024
/** Largest buffer {@link alignedBuffer} takes from WebAssembly memory (beyond: a plain buffer). */
const MAX_ALIGNED = 64 * 2 ** 20
const WASM_PAGE = 65536
/**
 * Bound on live WebAssembly-backed buffers in the process: V8 reserves about 10 GiB of address space
 * per memory (guard regions) within a 1 TiB budget, and retries a failed reservation after full GCs.
 */
const MAX_WASM_BUFFERS = 64
let wasmBuffers = 0
const wasmCollected = new FinalizationRegistry<undefined>(() => {
  wasmBuffers--
})

/** The WebAssembly.Memory constructor (not in this package's TypeScript libs). */
const WasmMemory = (
  globalThis as unknown as {
    WebAssembly?: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } }
  }
).WebAssembly?.Memory

/** Backing stores known to start on a page boundary (WebAssembly memories are mmap'd). */
const aligned = new WeakSet<ArrayBufferLike>()

/**
 * @internal A buffer of `length` bytes (contents unspecified) whose memory starts on a page boundary (when it is
 * at least {@link MIN_ALIGNED} long and not too many are alive; else an ordinary buffer), so that
 * {@link Storage} can write it with `O_DIRECT` (no copy into the page cache). Node's own buffers come
 * from malloc (16 bytes past a page boundary), so the memory of a WebAssembly.Memory is used
 * (it cannot be transferred to a worker).
 */
export function alignedBuffer(length: number): Uint8Array {
  if (!WasmMemory || length < MIN_ALIGNED || length > MAX_ALIGNED || wasmBuffers >= MAX_WASM_BUFFERS) {
    return Buffer.allocUnsafeSlow(length)
  }
  let mem: { buffer: ArrayBuffer }
  try {
    mem = new WasmMemory({ initial: Math.ceil(length / WASM_PAGE) })
  } catch {
    return Buffer.allocUnsafeSlow(length)
  }
  aligned.add(mem.buffer)
  wasmBuffers++
  wasmCollected.register(mem.buffer, undefined)
  return Buffer.from(mem.buffer, 0, length)
}

/** Whether `view` starts on a {@link DIRECT_ALIGN} boundary of memory from {@link alignedBuffer}. */
export function isAligned(view: Uint8Array): boolean {
  return view.byteOffset % DIRECT_ALIGN === 0 && aligned.has(view.buffer)
}

/**
 * Reusable piece buffers for a downloading torrent: a piece's buffer is reused once it is written
 * and hashed instead of a fresh 1 MiB buffer per piece (fresh memory costs far more than reused
 * memory: page faults, GC pressure). Buffers are page-aligned ({@link alignedBuffer}) so pieces can
 * be written with `O_DIRECT`. Keeps at most `maxFreeBytes` idle.
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
    return alignedBuffer(length)
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
