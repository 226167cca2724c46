import { Duplex } from 'node:stream'
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

/**
 * The payload stream of a connection after its MSE handshake: plaintext in and out, RC4 (or nothing,
 * for plaintext-over-MSE) on the transport. Received chunks are decrypted in place; sent ones are
 * encrypted into one new buffer per write (the writer may still own its buffer, e.g. a cached piece).
 * Backpressure goes both ways: a full reader pauses the transport, a full transport delays the write
 * callback. Destroying either side destroys the other.
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

  /**
   * @param transport the transport the handshake ran on, paused; the stream owns it from now on
   * @param result the finished handshake
   */
  constructor(transport: Duplex, result: MseResult) {
    super({ allowHalfOpen: false })
    this.method = result.method
    this.skey = result.skey
    this.#transport = transport
    this.#encrypt = result.encrypt
    this.#decrypt = result.decrypt
    if (result.payload.length > 0) this.push(result.payload)
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

  readonly #onData = (chunk: Buffer) => {
    this.#decrypt?.update(chunk)
    if (!this.push(chunk)) this.#transport.pause()
  }

  readonly #onEnd = () => this.push(null)
  readonly #onError = (err: Error) => this.destroy(err)
  readonly #onClose = () => this.destroy()

  override _read(): void {
    this.#transport.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#send(
      this.#encrypt ? this.#encrypt.update(chunk, Buffer.allocUnsafe(chunk.length)) : chunk,
      callback,
    )
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    let total = 0
    for (const c of chunks) total += c.chunk.length
    const out = Buffer.allocUnsafe(total)
    let at = 0
    for (const { chunk } of chunks) {
      if (this.#encrypt) this.#encrypt.update(chunk, out.subarray(at, at + chunk.length))
      else out.set(chunk, at)
      at += chunk.length
    }
    this.#send(out, callback)
  }

  #send(buf: Buffer, callback: (err?: Error | null) => void): void {
    if (this.#transport.write(buf)) callback()
    else this.#transport.once('drain', () => callback())
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
    callback(err)
  }
}
