import type { Duplex } from 'node:stream'
import type { DhtTransport } from '@p2p/dht'
import type { PeerAddress } from '@p2p/peer-address'
import type { WireClock, WireOptions } from '@p2p/peer-wire'
import type { Storage, StorageOptions } from './storage.js'

/** A connection's byte stream, with the socket details a transport may know. */
export interface TransportStream extends Duplex {
  /** The other end's address, when known. */
  remoteAddress?: string
  /** The other end's port, when known. */
  remotePort?: number
  /** Our end's address (for BEP 40 ranks), when known. */
  localAddress?: string
  /** Turns Nagle's algorithm off (TCP). */
  setNoDelay?(noDelay?: boolean): unknown
}

/** An accepting endpoint of a {@link SwarmTransport}. */
export interface TransportListener {
  /** The port peers reach us on. */
  readonly port: number
  /** The address it is bound to, when known (`::` or `0.0.0.0` for any). */
  readonly host?: string
  /** The UDP socket of uTP, for a DHT node to share (KRPC datagrams only), when there is one. */
  readonly udp?: DhtTransport
  /** Stops accepting. */
  close(): Promise<void>
}

/** How connections are made and accepted (TCP by default; a simulator's in-memory links). */
export interface SwarmTransport {
  /**
   * Starts accepting connections on `port` (0: any), calling `onConnection` for each.
   * @throws on failure (the client wraps it in `SWARM_LISTEN`)
   */
  listen(
    options: { host?: string; port: number },
    onConnection: (stream: TransportStream) => void,
    onError: (err: Error) => void,
    onWarning?: (message: string, err: unknown) => void,
  ): Promise<TransportListener>
  /**
   * Opens a connection to `addr`; `done` is called once, with the open stream or the error. Received
   * bytes either go to `receive` (into a reused buffer, TCP) or are emitted as `data`, never both;
   * without `receive` they are emitted as `data`.
   * @returns a function that abandons the attempt (destroying what it opened; `done` is not called)
   */
  dial(
    addr: PeerAddress,
    receive: ((chunk: Uint8Array) => void) | undefined,
    done: (error: Error | undefined, stream?: TransportStream) => void,
  ): () => void
  /**
   * Opens a uTP connection to `addr` from the listening UDP port, as a BEP 55 holepunch needs (both
   * peers dial each other at once, so each NAT sees the other's packets as replies). Absent when the
   * transport has no uTP: such a client relays holepunches but does not punch.
   * @returns a function that abandons the attempt
   */
  punch?(addr: PeerAddress, done: (error: Error | undefined, stream?: TransportStream) => void): () => void
}

/**
 * {@link SwarmTransport.dial} for a stream that emits `connect` once open or `error`: calls `done`
 * once, and returns the function that abandons it.
 */
export function dialStream(
  stream: TransportStream,
  done: (error: Error | undefined, stream?: TransportStream) => void,
): () => void {
  let settled = false
  const onError = (err: Error) => {
    if (settled) return
    settled = true
    stream.off('connect', onConnect)
    done(err)
  }
  const onConnect = () => {
    if (settled) return
    settled = true
    stream.off('error', onError)
    done(undefined, stream)
  }
  stream.once('error', onError)
  stream.once('connect', onConnect)
  return () => {
    if (settled) return
    settled = true
    stream.off('error', onError)
    stream.off('connect', onConnect)
    stream.destroy()
  }
}

/**
 * An HTTP GET, as the global `fetch` makes it (web seeds' range requests): the URL, the request headers
 * and the signal that abandons it. A simulator answers with simulated servers on its virtual clock.
 */
export type HttpFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal; redirect: 'follow' },
) => Promise<Response>

/** What a torrent needs of its storage (`Storage` on disk by default). */
export type TorrentStorage = Pick<
  Storage,
  | 'isSelected'
  | 'select'
  | 'deselect'
  | 'keepExistingFiles'
  | 'filesIn'
  | 'write'
  | 'read'
  | 'createEmptyFiles'
  | 'fileStates'
  | 'close'
>

/**
 * Everything of the outside world a {@link Client} uses: time and timers, randomness, connections
 * and storage. The default is the real one; a simulator (`@p2p/sim`) passes virtual ones so that the
 * same swarm code runs deterministically, on virtual time, without sockets or files.
 */
export interface SwarmRuntime {
  /** Time and timers (also given to every wire). */
  clock: WireClock
  /** `[0, 1)` random source (piece picking, choking, super-seeding). */
  random(): number
  /**
   * Unpredictable bytes for secrets: MSE's Diffie-Hellman keys and padding (`crypto.randomBytes` by
   * default; a simulator passes seeded ones).
   */
  randomBytes(n: number): Uint8Array
  /** How connections are made and accepted. */
  transport: SwarmTransport
  /** HTTP requests of web seeds (BEP 19): the global `fetch` by default. */
  fetch: HttpFetch
  /** Opens a torrent's storage. */
  storage(options: StorageOptions): TorrentStorage
  /**
   * Makes a download directory ready when its torrent is added, failing at once if it cannot be
   * written (the default creates it and writes a probe file).
   */
  prepareDir(dir: string): Promise<void>
  /**
   * Check the consistency of piece buffers and requests on every block and request (costs a scan of
   * the live buffers per block: for simulators and tests). Default false.
   */
  checks: boolean
  /**
   * Wire timings (default: the wire's). A simulator that carries each block as the stand-in for a
   * larger one, on links slowed by the same factor, stretches `requestTimeout` and `messageTimeout`
   * by that factor and shortens the request pipeline (`maxRequests`); one of thousands of peers
   * raises `tickInterval` (each wire's tick is an event, at most a quarter of every timeout).
   */
  wire?: Pick<
    WireOptions,
    'requestTimeout' | 'messageTimeout' | 'handshakeTimeout' | 'maxRequests' | 'tickInterval'
  >
  /**
   * Bytes of whole pieces a torrent keeps read for uploads (default 8 MiB, plus half as much of spare
   * buffers). A simulator of thousands of peers on one machine passes a few pieces' worth.
   */
  readCacheBytes?: number
  /**
   * Runs `fn` once the current I/O turn is done: a torrent applies the work its events asked for
   * (request top-ups, interest, `have` broadcasts, spare unchokes) then, once per turn instead of once
   * per event. Default `queueMicrotask`.
   */
  defer?(fn: () => void): void
}

/** Calls `fn` every `ms` on `clock`; returns the function that stops it. */
export function every(clock: WireClock, ms: number, fn: () => void): () => void {
  let timer: unknown
  let stopped = false
  const tick = () => {
    fn()
    if (!stopped) timer = clock.setTimeout(tick, ms)
  }
  timer = clock.setTimeout(tick, ms)
  return () => {
    stopped = true
    clock.clearTimeout(timer)
  }
}
