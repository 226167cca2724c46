import type { Encodable } from '@p2p/bencode'
import type { PeerAddress } from '@p2p/peer-address'
import {
  DhtCore,
  type DhtCoreOptions,
  type DhtStats,
  type GetPeersResult,
  type SavedTable,
} from './dht-core.js'
import {
  getItem,
  type ItemLookup,
  type MutablePutOptions,
  type MutableRef,
  type PutResult,
  putImmutable,
  putMutable,
} from './item-operations.js'
import { type DhtClock, type DhtTransport, systemClock } from './transport.js'
import { createUdpTransport, type UdpTransportOptions } from './udp-transport.js'

/** How often the node's core is ticked (timeouts, refresh, expiry). */
export const TICK_MS = 250

/** Options of {@link DhtNode}. */
export interface DhtNodeOptions extends Omit<DhtCoreOptions, 'send' | 'now'> {
  /** Where datagrams go: {@link createUdpTransport} or a {@link MemoryNetwork} transport. */
  transport: DhtTransport
  /** The clock; default the system clock. */
  clock?: DhtClock
}

/**
 * A running DHT node: a {@link DhtCore} bound to a transport and a clock.
 *
 * @example
 * ```ts
 * const node = await createDhtNode({ host: '127.0.0.1', port: 6881, bootstrap: [{ host: '127.0.0.2', port: 6881 }] })
 * await node.start()
 * const { peers } = await node.getPeers(infoHash)
 * await node.close()
 * ```
 */
export class DhtNode {
  readonly core: DhtCore
  readonly #transport: DhtTransport
  readonly #clock: DhtClock
  #cancelTick: () => void = () => {}
  #closed = false

  constructor(options: DhtNodeOptions) {
    const { transport, clock = systemClock, ...rest } = options
    this.#transport = transport
    this.#clock = clock
    this.core = new DhtCore({ ...rest, send: (d, to) => transport.send(d, to), now: () => clock.now() })
    transport.onMessage((data, from) => this.core.receive(data, from))
    this.#schedule()
  }

  /** Local addresses of the transport. */
  addresses(): PeerAddress[] {
    return this.#transport.addresses()
  }

  /** Joins the network through the bootstrap nodes (and `extra`), filling the routing table. */
  start(extra: readonly PeerAddress[] = []): Promise<void> {
    return this.core.bootstrap(extra)
  }

  /** Pings a node learnt outside the DHT (a BEP 5 `port` message); it enters the table if it answers. */
  addNode(address: PeerAddress): Promise<boolean> {
    return this.core.addNode(address)
  }

  /** Our external address from outside the DHT (a port mapping's gateway); see {@link DhtCore.setExternalAddress}. */
  setExternalAddress(address: PeerAddress): boolean {
    return this.core.setExternalAddress(address)
  }

  /** Iterative `get_peers` (BEP 5). */
  getPeers(infoHash: Uint8Array): Promise<GetPeersResult> {
    return this.core.getPeers(infoHash)
  }

  /** Looks up and announces `infoHash` on `port` (default: implied port). */
  announce(infoHash: Uint8Array, port?: number): Promise<GetPeersResult & { announced: number }> {
    return this.core.announce(infoHash, port)
  }

  /** BEP 44 get of an immutable (no `mutable`) or mutable item. */
  getItem(target: Uint8Array, mutable?: MutableRef): Promise<ItemLookup> {
    return getItem(this.core, target, mutable)
  }

  /** BEP 44 put of an immutable item. */
  putImmutable(value: Encodable): Promise<PutResult> {
    return putImmutable(this.core, value)
  }

  /** BEP 44 put of a signed mutable item. */
  putMutable(options: MutablePutOptions): Promise<PutResult & { seq: number }> {
    return putMutable(this.core, options)
  }

  /** Routing table to pass as `restore` next time. */
  save(): SavedTable {
    return this.core.save()
  }

  /** Counters and table sizes. */
  stats(): DhtStats {
    return this.core.stats()
  }

  /** Stops timers, fails pending queries and closes the transport. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#cancelTick()
    this.core.stop()
    await this.#transport.close()
  }

  #schedule(): void {
    this.#cancelTick = this.#clock.setTimer(() => {
      if (this.#closed) return
      this.core.tick()
      this.#schedule()
    }, TICK_MS)
  }
}

/** Options of {@link createDhtNode}: where to bind, and the node's options. */
export type CreateDhtNodeOptions = UdpTransportOptions & Omit<DhtNodeOptions, 'transport'>

/**
 * Binds a UDP transport and starts a {@link DhtNode} on it (call `start()` to bootstrap). An IPv6
 * `host` (e.g. `::1`) is taken as `host6`; the node runs a routing table per family bound (BEP 32).
 */
export async function createDhtNode(options: CreateDhtNodeOptions = {}): Promise<DhtNode> {
  const { port, host: given, host6: given6, ...rest } = options
  const v6Host = given?.includes(':') === true
  const host = v6Host ? undefined : given
  const host6 = v6Host ? given : given6
  const transport = await createUdpTransport({ host, host6, port })
  return new DhtNode({
    families: host6 !== undefined ? (host !== undefined ? [4, 6] : [6]) : [4],
    ...rest,
    transport,
  })
}
