import type { PeerAddress } from '@p2p/peer-address'
import { addressKey } from './compact-nodes.js'
import type { DhtClock, DhtTransport } from './transport.js'

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** One-way delay of every datagram (ms). Default 10. */
  latencyMs?: number
  /** Fraction of datagrams lost, 0..1. Default 0. */
  loss?: number
  /** Random numbers in [0, 1) for loss (inject a seeded source for reproducible runs). */
  random?: () => number
}

/**
 * An in-memory datagram network on a {@link DhtClock}: transports bound to made-up addresses
 * exchange datagrams after a fixed latency, with optional loss; nodes can be removed (churn).
 */
export class MemoryNetwork {
  readonly #clock: DhtClock
  readonly #latency: number
  readonly #loss: number
  readonly #random: () => number
  readonly #hosts = new Map<string, (data: Uint8Array, from: PeerAddress) => void>()
  /** Datagrams delivered so far. */
  delivered = 0

  constructor(clock: DhtClock, options: MemoryNetworkOptions = {}) {
    this.#clock = clock
    this.#latency = options.latencyMs ?? 10
    this.#loss = options.loss ?? 0
    this.#random = options.random ?? Math.random
  }

  /** A transport bound to `address` on this network. */
  transport(address: PeerAddress): DhtTransport {
    const key = addressKey(address)
    this.#hosts.set(key, () => {})
    return {
      send: (data, to) => {
        if (!this.#hosts.has(key) || this.#random() < this.#loss) return
        const copy = new Uint8Array(data)
        this.#clock.setTimer(() => {
          const deliver = this.#hosts.get(addressKey(to))
          if (!deliver) return
          this.delivered++
          deliver(copy, address)
        }, this.#latency)
      },
      onMessage: (handler) => {
        if (this.#hosts.has(key)) this.#hosts.set(key, handler)
      },
      addresses: () => [address],
      close: async () => {
        this.#hosts.delete(key)
      },
    }
  }
}
