import { Duplex } from 'node:stream'
import type { UtpConnection, UtpConnectionHandlers } from './connection.js'
import type { UtpError } from './errors.js'

/** Where a {@link UtpStream} goes. */
export interface UtpEndpoints {
  remoteAddress: string
  remotePort: number
  remoteFamily: 'IPv4' | 'IPv6'
  localAddress: string | undefined
  localPort: number | undefined
}

/**
 * One uTP connection as a Node `Duplex` (like a `net.Socket`: `remoteAddress`, `remotePort`, a
 * `connect` event). Writes wait while the connection's send buffer is full; received bytes shrink the
 * advertised window until read. Made by {@link UtpSocket}; not constructed directly.
 */
export class UtpStream extends Duplex {
  /** The peer's IP address. */
  readonly remoteAddress: string
  /** The peer's UDP port. */
  readonly remotePort: number
  /** `'IPv4'` or `'IPv6'`. */
  readonly remoteFamily: 'IPv4' | 'IPv6'
  /** Our address. */
  readonly localAddress: string | undefined
  /** Our UDP port. */
  readonly localPort: number | undefined
  /** Always `'utp'`: lets peer statistics tell transports apart. */
  readonly transport = 'utp' as const
  #conn: UtpConnection | undefined
  #schedule: () => void = () => {}
  #blockedWrite: (() => void) | undefined
  #connecting: boolean

  /** @internal Made by {@link UtpSocket}. */
  constructor(endpoints: UtpEndpoints, connecting: boolean) {
    super({ allowHalfOpen: false })
    this.remoteAddress = endpoints.remoteAddress
    this.remotePort = endpoints.remotePort
    this.remoteFamily = endpoints.remoteFamily
    this.localAddress = endpoints.localAddress
    this.localPort = endpoints.localPort
    this.#connecting = connecting
  }

  /** Whether the connection is still being set up (like `net.Socket#connecting`). */
  get connecting(): boolean {
    return this.#connecting
  }

  /** The connection core (state, RTT, window, counters). */
  get connection(): UtpConnection | undefined {
    return this.#conn
  }

  /** @internal Binds the core and the function that asks the socket to flush it soon. */
  attach(conn: UtpConnection, schedule: () => void): void {
    this.#conn = conn
    this.#schedule = schedule
  }

  /** @internal The handlers the core reports to. */
  handlers(send: (datagram: readonly Uint8Array[]) => void): UtpConnectionHandlers {
    return {
      send,
      data: (payload) => {
        this.push(payload)
        if (this.readableLength > 0) this.#conn?.setReadBuffered(this.readableLength)
      },
      connect: () => {
        this.#connecting = false
        this.emit('connect')
      },
      drain: () => {
        const done = this.#blockedWrite
        this.#blockedWrite = undefined
        done?.()
      },
      end: () => {
        this.push(null)
      },
      close: (error?: UtpError) => {
        if (error) {
          this.destroy(error)
          return
        }
        if (this.readableEnded) this.destroy()
        else {
          this.push(null)
          this.once('end', () => this.destroy())
        }
      },
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // The core sends views of what it is given until they are acked, but a writer may reuse its buffer
    // once the callback ran (as after a net.Socket write: a pool of piece buffers does): keep a copy.
    const ok = this.#conn!.write(Buffer.from(chunk))
    this.#schedule()
    if (ok) callback()
    else this.#blockedWrite = callback
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#conn?.end()
    this.#schedule()
    callback()
  }

  override _read(): void {
    if (!this.#conn) return
    this.#conn.setReadBuffered(this.readableLength)
    this.#schedule()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // After both ends finished (autoDestroy), the core completes the FIN exchange on its own.
    if (error || !this.writableFinished || !this.readableEnded) this.#conn?.destroy()
    this.#blockedWrite = undefined
    callback(error)
  }
}
