import type { PeerAddress } from '@p2p/peer-address'
import {
  type DhtNode,
  type DhtNodeOptions,
  MemoryNetwork,
  DhtNode as Node,
  until,
  VirtualClock,
} from '../src/index.js'

/** An in-memory network on a virtual clock, with helpers to add nodes and wait. */
export function memoryNet(latencyMs = 5) {
  const clock = new VirtualClock()
  const net = new MemoryNetwork(clock, { latencyMs })
  const nodes: DhtNode[] = []
  return {
    clock,
    net,
    nodes,
    add(address: PeerAddress, options: Partial<DhtNodeOptions> = {}): DhtNode {
      const node = new Node({ transport: net.transport(address), clock, ...options })
      nodes.push(node)
      return node
    },
    run<T>(p: Promise<T>): Promise<T> {
      return until(clock, p)
    },
    /** `count` nodes on 10.0.0.x joined one by one through the first. */
    async grow(count: number, options: Partial<DhtNodeOptions> = {}): Promise<DhtNode[]> {
      const made: DhtNode[] = []
      for (let i = 0; i < count; i++) {
        const node = this.add({ host: `10.0.${i >> 8}.${i & 255}`, port: 6881 }, options)
        made.push(node)
        if (i > 0) await this.run(node.start([made[0]!.addresses()[0]!]))
      }
      return made
    },
    close: () => Promise.all(nodes.map((n) => n.close())),
  }
}

/** A raw endpoint on the network that sends datagrams and records what comes back. */
export function rawEndpoint(net: MemoryNetwork, address: PeerAddress) {
  const transport = net.transport(address)
  const received: Uint8Array[] = []
  transport.onMessage((d) => received.push(d))
  return { transport, received, send: (d: Uint8Array, to: PeerAddress) => transport.send(d, to) }
}

/** Bytes of a hex string. */
export const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
