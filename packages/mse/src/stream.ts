import { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { MseError } from './errors.js'
import type { MseMethod, MseResult } from './handshake.js'
import type { Rc4 } from './rc4.js'

/** The transport's socket-like members an {@link MseStream} passes through when it has them. */
interface SocketLike {
  remoteAddress?: string
  remotePort?: number
  localAddress?: string
  localPort?: number
  setNoDelay?: (noDelay?: boolean) => unknown
}

/** Bytes of each buffer sent bytes are encrypted into (a larger write fills several). */
const MSE_WRITE_BUFFER_BYTES = 64 * 1024
/** Free write buffers kept for reuse, shared by every {@link MseStream} (an idle connection holds none). */
const KEEP_FREE = 32
const freeWriteBuffers: Buffer[] = []
/** Writes up to this many bytes are encrypted into a buffer of their own (from Node's small-buffer pool). */
const SMALL_WRITE = 4096

/**
 * The payload stream of a connection after its MSE handshake: plaintext in and out, RC4 (or nothing,
 * for plaintext-over-MSE) on the transport.
 *
 * Received bytes are decrypted in place. They are emitted as `data`, or, once a receiver is set
 * ({@link MseStream.setReceiver}), handed straight to it: with a transport that reads into a buffer
 * it reuses ({@link MseStream.receive}), nothing is allocated per read. Sent bytes are encrypted
 * into write buffers from a pool all streams share (the writer may still own its buffer, e.g. a
 * cached piece), which a `net.Socket` transport hands back once written; other transports (which may keep
 * a reference after the write callback) get fresh ones. Backpressure goes both ways: a full reader
 * pauses the transport, a full transport delays the write callback. Destroying either side destroys
 * the other.
 *
 * @example
 * ```ts
 * const stream = await mseHandshake(socket, { role: 'initiator', skey: infoHash, allowed: CRYPTO_RC4 })
 * const wire = new Wire(stream, { infoHash, peerId })
 * ```
 */
export class MseStream extends Duplex {
  /** The method the handshake settled on. */
  readonly method: MseMethod
  /** The SKEY (info hash) of the connection. */
  readonly skey: Uint8Array
  readonly #transport: Duplex & SocketLike
  readonly #encrypt: Rc4 | undefined
  readonly #decrypt: Rc4 | undefined
  /** Decrypted bytes not handed out yet (the handshake's payload), until the first read or receiver. */
  #pending: Uint8Array[]
  #pushed = false
  #receiver: ((chunk: Uint8Array) => void) | undefined
  /** Whether write buffers come back for reuse once written (a `net.Socket`). */
  readonly #reuse: boolean
  /** The initiator's IA, sent with the handshake: the first write, when it starts with it, skips it. */
  #sentAhead: Uint8Array | undefined

  /**
   * @param transport the transport the handshake ran on, paused; the stream owns it from now on
   * @param result the finished handshake
   * @param sentAhead the initial payload we sent in the handshake (initiator): when the first write
   *   starts with these bytes (the upper layer writes its BitTorrent handshake as usual), they are not
   *   sent again
   */
  constructor(transport: Duplex, result: MseResult, sentAhead?: Uint8Array) {
    super({ allowHalfOpen: false })
    this.method = result.method
    this.skey = result.skey
    this.#transport = transport
    this.#encrypt = result.encrypt
    this.#decrypt = result.decrypt
    this.#reuse = transport instanceof Socket
    this.#pending = result.payload.length > 0 ? [result.payload] : []
    if (sentAhead && sentAhead.length > 0) this.#sentAhead = sentAhead
    transport.on('data', this.#onData)
    transport.on('end', this.#onEnd)
    transport.on('error', this.#onError)
    transport.on('close', this.#onClose)
  }

  /** The transport's remote address, if it has one. */
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress
  }

  /** The transport's remote port, if it has one. */
  get remotePort(): number | undefined {
    return this.#transport.remotePort
  }

  /** The transport's local address, if it has one. */
  get localAddress(): string | undefined {
    return this.#transport.localAddress
  }

  /** The transport's local port, if it has one. */
  get localPort(): number | undefined {
    return this.#transport.localPort
  }

  /** Passes `setNoDelay` to the transport when it has it. */
  setNoDelay(noDelay?: boolean): this {
    this.#transport.setNoDelay?.(noDelay)
    return this
  }

  /**
   * Hands every received byte, decrypted, to `receiver` instead of emitting `data` (e.g. a wire's
   * `receive`): first the bytes that came with the handshake, then each read as it arrives. The
   * chunk is only valid during the call (it may be the transport's reused read buffer). Set it before
   * the stream's first read, in the tick the stream was made.
   * @throws {MseError} `MSE_INVALID_ARGUMENT` when bytes were already emitted as `data`
   */
  setReceiver(receiver: (chunk: Uint8Array) => void): void {
    if (this.#pushed) throw new MseError('MSE_INVALID_ARGUMENT', 'bytes were already emitted as data')
    this.#receiver = receiver
    for (const chunk of this.#pending.splice(0)) {
      if (this.destroyed) return
      receiver(chunk)
    }
  }

  /**
   * Takes bytes the caller read from the transport into a buffer it reuses (instead of `data`
   * events): they are decrypted in place and handed on at once, never kept.
   */
  receive(chunk: Uint8Array): void {
    if (this.destroyed) return
    this.#decrypt?.update(chunk)
    if (this.#receiver) this.#receiver(chunk)
    else this.#push(Buffer.from(chunk))
  }

  readonly #onData = (chunk: Buffer) => {
    this.#decrypt?.update(chunk)
    if (this.#receiver) this.#receiver(chunk)
    else this.#push(chunk)
  }

  #push(chunk: Uint8Array): void {
    this.#flushPending()
    if (!this.push(chunk)) this.#transport.pause()
  }

  #flushPending(): void {
    this.#pushed = true
    for (const chunk of this.#pending.splice(0)) this.push(chunk)
  }

  readonly #onEnd = () => this.push(null)
  readonly #onError = (err: Error) => this.destroy(err)
  readonly #onClose = () => this.destroy()

  /** Pauses the transport too once a receiver takes the bytes (no `data` is buffered to stop it). */
  override pause(): this {
    if (this.#receiver) this.#transport.pause()
    return super.pause()
  }

  /** Resumes the transport too once a receiver takes the bytes. */
  override resume(): this {
    if (this.#receiver) this.#transport.resume()
    return super.resume()
  }

  override _read(): void {
    if (!this.#receiver) this.#flushPending()
    this.#transport.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#send([chunk], callback)
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    this.#send(
      chunks.map((c) => c.chunk),
      callback,
    )
  }

  /** Encrypts `chunks` into write buffers and sends them, as one write where the transport corks. */
  #send(chunks: Uint8Array[], callback: (err?: Error | null) => void): void {
    if (this.#sentAhead) this.#skipSentAhead(chunks)
    const t = this.#transport
    let total = 0
    for (const c of chunks) total += c.length
    if (total === 0) {
      callback()
      return
    }
    let ok = true
    t.cork()
    if (!this.#encrypt) {
      for (const c of chunks) ok = t.write(c)
    } else if (!this.#reuse || total <= SMALL_WRITE) {
      const out = Buffer.allocUnsafe(total)
      let at = 0
      for (const c of chunks) {
        this.#encrypt.update(c, out.subarray(at, at + c.length))
        at += c.length
      }
      ok = t.write(out)
    } else {
      let buf: Buffer | undefined
      let fill = 0
      for (const c of chunks) {
        for (let at = 0; at < c.length; ) {
          buf ??= freeWriteBuffers.pop() ?? Buffer.allocUnsafeSlow(MSE_WRITE_BUFFER_BYTES)
          const n = Math.min(c.length - at, buf.length - fill)
          this.#encrypt.update(c.subarray(at, at + n), buf.subarray(fill, fill + n))
          at += n
          fill += n
          if (fill === buf.length) {
            ok = this.#writePooled(buf, fill)
            buf = undefined
            fill = 0
          }
        }
      }
      if (buf) ok = this.#writePooled(buf, fill)
    }
    t.uncork()
    if (ok) callback()
    else t.once('drain', () => callback())
  }

  /** Drops the IA already sent from the head of the first write, when it is there. */
  #skipSentAhead(chunks: Uint8Array[]): void {
    const ahead = this.#sentAhead!
    this.#sentAhead = undefined
    const first = chunks[0]!
    if (first.length < ahead.length) return
    if (!Buffer.from(first.buffer, first.byteOffset, ahead.length).equals(ahead)) return
    if (first.length === ahead.length) chunks.shift()
    else chunks[0] = first.subarray(ahead.length)
  }

  /** Writes the first `length` bytes of a pooled buffer, which comes back to the pool once written. */
  #writePooled(buf: Buffer, length: number): boolean {
    return this.#transport.write(buf.subarray(0, length), () => {
      if (freeWriteBuffers.length < KEEP_FREE) freeWriteBuffers.push(buf)
    })
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#transport.end()
    callback()
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const t = this.#transport
    t.off('data', this.#onData)
    t.off('end', this.#onEnd)
    t.off('error', this.#onError)
    t.off('close', this.#onClose)
    t.on('error', () => {}) // late errors of a transport we are done with
    t.destroy()
    this.#pending = []
    callback(err)
  }
}
