import type { PeerAddress } from '@p2p/peer-address'

/** How a DHT node sends and receives datagrams: a UDP socket, or an in-memory network for tests. */
export interface DhtTransport {
  /** Sends one datagram (best effort, like UDP). */
  send(data: Uint8Array, to: PeerAddress): void
  /** Sets the handler of incoming datagrams. */
  onMessage(handler: (data: Uint8Array, from: PeerAddress) => void): void
  /** The local addresses (one per family bound). */
  addresses(): PeerAddress[]
  /** Stops receiving and releases the socket. */
  close(): Promise<void>
}

/** Time for a DHT node: the real clock, or a virtual one in simulations. */
export interface DhtClock {
  /** Milliseconds. */
  now(): number
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void
}

/** The wall clock and `setTimeout` (timers do not keep the process alive). */
export const systemClock: DhtClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return () => clearTimeout(t)
  },
}
