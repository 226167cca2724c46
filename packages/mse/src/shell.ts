import type { Duplex } from 'node:stream'
import { MseError } from './errors.js'
import { MseHandshake, type MseHandshakeOptions } from './handshake.js'
import { MseStream } from './stream.js'

/** Time a handshake may take end to end (the spec's fail-fast bound for the key exchange is 30 s). */
export const MSE_HANDSHAKE_TIMEOUT_MS = 30_000

/** The timers {@link mseHandshake} uses (a simulator passes virtual ones). */
export interface MseClock {
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer of `setTimeout`. */
  clearTimeout(handle: unknown): void
}

const realClock: MseClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/**
 * Options of {@link mseHandshake}: those of the handshake (`randomBytes` included, for a
 * deterministic run), a timeout with its clock, and a signal.
 */
export interface MseShellOptions extends MseHandshakeOptions {
  /** Milliseconds before the handshake fails with `MSE_TIMEOUT`. Default {@link MSE_HANDSHAKE_TIMEOUT_MS}. */
  timeout?: number
  /** Fails the handshake with `MSE_ABORTED`. */
  signal?: AbortSignal
  /** Timers for the timeout. Default the real ones. */
  clock?: MseClock
  /**
   * For a transport that may emit no `data` but read into a buffer it reuses (e.g.
   * `net.connect({ onread })`): called with the function such reads must be given to, once for the
   * handshake and once more, with {@link MseStream.receive}, when the stream takes over. `data`
   * events are read too.
   */
  manualReads?: (deliver: (chunk: Uint8Array) => void) => void
}

/**
 * Runs the MSE handshake over any transport (a `net.Socket`, a uTP stream...) and resolves to the
 * plaintext {@link MseStream} that now owns it, holding the first payload bytes. On failure the
 * transport is destroyed and the promise rejects with an {@link MseError}.
 *
 * @throws {MseError} every code of {@link MseHandshake.receive}, plus `MSE_CLOSED`, `MSE_TIMEOUT`,
 *   `MSE_ABORTED`
 * @example
 * ```ts
 * const socket = net.connect(6881, '127.0.0.1')
 * const stream = await mseHandshake(socket, { role: 'initiator', skey: infoHash, allowed: CRYPTO_RC4 })
 * console.log(stream.method) // 'rc4'
 * ```
 */
export function mseHandshake(transport: Duplex, options: MseShellOptions): Promise<MseStream> {
  return new Promise<MseStream>((resolve, reject) => {
    let core: MseHandshake
    let done = false
    const fail = (err: unknown) => {
      cleanup()
      transport.on('error', () => {})
      transport.destroy()
      reject(
        err instanceof MseError
          ? err
          : new MseError('MSE_CLOSED', `transport failed: ${(err as Error)?.message}`, { cause: err }),
      )
    }
    const flush = () => {
      const out = core.takeOutput()
      if (out) transport.write(out)
    }
    const manual = options.manualReads
    // A reused read buffer is copied: the handshake keeps what it has not parsed yet.
    const onRead = (chunk: Uint8Array) => onData(chunk.slice())
    const onData = (chunk: Uint8Array) => {
      if (done) return
      try {
        core.receive(chunk)
      } catch (err) {
        fail(err)
        return
      }
      flush()
      const result = core.result
      if (!result) return
      cleanup()
      transport.pause()
      const stream = new MseStream(
        transport,
        result,
        options.role === 'initiator' ? options.initialPayload : undefined,
      )
      manual?.((c) => stream.receive(c))
      resolve(stream)
    }
    const onClose = () => fail(new MseError('MSE_CLOSED', 'the transport closed during the MSE handshake'))
    const onAbort = () =>
      fail(new MseError('MSE_ABORTED', 'MSE handshake aborted', { cause: options.signal?.reason }))
    const timeout = options.timeout ?? MSE_HANDSHAKE_TIMEOUT_MS
    const clock = options.clock ?? realClock
    const timer = clock.setTimeout(
      () => fail(new MseError('MSE_TIMEOUT', `MSE handshake not done in ${timeout} ms`)),
      timeout,
    )
    function cleanup() {
      done = true
      clock.clearTimeout(timer)
      transport.off('data', onData)
      transport.off('end', onClose)
      transport.off('close', onClose)
      transport.off('error', fail)
      options.signal?.removeEventListener('abort', onAbort)
    }
    if (options.signal?.aborted) {
      onAbort()
      return
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    transport.on('end', onClose)
    transport.on('close', onClose)
    transport.on('error', fail)
    try {
      core = new MseHandshake(options)
    } catch (err) {
      fail(err)
      return
    }
    flush()
    manual?.(onRead)
    transport.on('data', onData)
  })
}
