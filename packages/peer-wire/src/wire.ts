import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { systemClock } from './clock.js'
import { PeerWireError } from './errors.js'
import type { WireOptions } from './options.js'
import { PeerProtocol } from './protocol.js'
import type { WireEvents } from './wire-events.js'

/**
 * One BitTorrent peer connection over any duplex byte stream (a `net.Socket`, a uTP or encrypted
 * stream, a WebRTC data channel...): a {@link PeerProtocol} bound to the stream's events and to the
 * clock's timers. Listen with `on`/`once`/`off`; only the protocol and its extensions emit.
 *
 * @example
 * ```ts
 * const socket = net.connect(6881, '127.0.0.1')
 * const wire = new Wire(socket, { infoHash, peerId })
 * wire.on('handshake', () => wire.interested())
 * wire.on('unchoke', async () => {
 *   const block = await wire.request(0, 0, 16384)
 * })
 * wire.handshake()
 * ```
 */
export class Wire extends PeerProtocol {
  /** The stream this wire owns (destroyed when the wire closes). */
  readonly stream: Duplex
  readonly #events: EventEmitter

  /**
   * @param stream the transport; the wire owns it from now on and destroys it on close
   * @throws {RangeError} on a peer id or info hash that is not 20 bytes
   */
  constructor(stream: Duplex, options: WireOptions) {
    const events = new EventEmitter()
    super(
      stream,
      { emit: (event, ...args) => events.emit(event, ...args), listens: (e) => events.listenerCount(e) > 0 },
      options,
    )
    this.stream = stream
    this.#events = events
    const clock = options.clock ?? systemClock
    const onData = (chunk: Uint8Array) => this.receiveOwned(chunk)
    const onEnd = () => this.ended()
    const onError = (err: Error) => this.failed(err)
    const onDrain = () => this.drained()
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('close', onEnd)
    stream.on('error', onError)
    stream.on('drain', onDrain)
    const onTick = () => {
      this.tick()
      if (!this.destroyed) timer = clock.setTimeout(onTick, this.tickInterval)
    }
    let timer = clock.setTimeout(onTick, this.tickInterval)
    const signal = options.signal
    const onAbort = () =>
      this.destroy(new PeerWireError('PEER_WIRE_ABORTED', 'wire aborted', { cause: signal?.reason }))
    if (signal?.aborted) queueMicrotask(onAbort)
    else signal?.addEventListener('abort', onAbort, { once: true })
    // the protocol emits 'close' last, after destroying the stream: unbind then (the error
    // listener stays, a destroyed stream may still report an error)
    events.prependListener('close', () => {
      clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('close', onEnd)
      stream.off('drain', onDrain)
    })
  }

  /** Adds a listener. */
  on<E extends keyof WireEvents>(event: E, listener: WireEvents[E]): this {
    this.#events.on(event, listener)
    return this
  }

  /** Adds a one-time listener. */
  once<E extends keyof WireEvents>(event: E, listener: WireEvents[E]): this {
    this.#events.once(event, listener)
    return this
  }

  /** Removes a listener. */
  off<E extends keyof WireEvents>(event: E, listener: WireEvents[E]): this {
    this.#events.off(event, listener)
    return this
  }

  /** Removes a listener (the `node:events` name, used by `events.once`). */
  removeListener<E extends keyof WireEvents>(event: E, listener: WireEvents[E]): this {
    return this.off(event, listener)
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof WireEvents): number {
    return this.#events.listenerCount(event)
  }
}
