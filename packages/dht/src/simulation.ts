import { mulberry32, VirtualClock } from '@p2p/deterministic'
import type { PeerAddress } from '@p2p/peer-address'
import { DhtNode } from './dht-node.js'
import { MemoryNetwork } from './memory-network.js'
import { compareDistance, idHex } from './node-id.js'
import { K } from './routing-table.js'

/** Options of {@link simulateNetwork}. */
export interface SimulationOptions {
  /** Nodes in the network. */
  nodes: number
  /** Lookups measured before and after churn. */
  lookups: number
  /** Fraction of nodes that leave at once before the second round (0..1). Default 0.3. */
  churn?: number
  /** One-way latency (ms). Default 20. */
  latencyMs?: number
  /** Seed of the pseudo-random source (ids, targets, churn). Default 1. */
  seed?: number
  /** Nodes joining at once. Default 50. */
  joinBatch?: number
}

/** Figures of one round of lookups. */
export interface LookupRound {
  /** Lookups run. */
  lookups: number
  /** Fraction whose k results held the live node closest to the target. */
  foundClosest: number
  /** Fraction of the nodes that announced an info hash found by `get_peers` from random nodes. */
  foundPeers: number
  /** Lookups per hop count (hops to the closest node), index = hops. */
  hops: number[]
  /** Queries per lookup: median, 95th percentile, max. */
  queries: { median: number; p95: number; max: number }
}

/** What {@link simulateNetwork} measured. */
export interface SimulationReport {
  /** Nodes started. */
  nodes: number
  /** Virtual ms until every node had joined. */
  joinMs: number
  /** Routing table sizes: mean, min, max, and Kademlia's estimate k * log2(N / k). */
  tableSize: { mean: number; min: number; max: number; predicted: number }
  /** Lookups with every node up. */
  before: LookupRound
  /** Lookups after `churn` of the nodes left at once. */
  after: LookupRound
  /** Nodes alive after churn. */
  alive: number
  /** Datagrams delivered in the whole run. */
  datagrams: number
}

/**
 * Runs a whole network of our nodes in one process on a {@link MemoryNetwork} and a
 * {@link VirtualClock}: joins, lookups (hops, queries, whether the true closest node was found),
 * an announce, then `churn` of the nodes leaving at once and the same figures again.
 */
export async function simulateNetwork(options: SimulationOptions): Promise<SimulationReport> {
  const rand = mulberry32(options.seed ?? 1)
  const random = (n: number) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
    return out
  }
  const clock = new VirtualClock()
  const net = new MemoryNetwork(clock, { latencyMs: options.latencyMs ?? 20, random: rand })
  const nodes: DhtNode[] = []
  const address = (i: number): PeerAddress => ({
    host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 6881,
  })
  const batch = options.joinBatch ?? 50
  for (let start = 0; start < options.nodes; start += batch) {
    const joins: Promise<void>[] = []
    for (let i = start; i < Math.min(options.nodes, start + batch); i++) {
      const node = new DhtNode({ transport: net.transport(address(i)), clock, random, adoptSecureId: false })
      nodes.push(node)
      if (i > 0) joins.push(node.start([address(Math.floor(rand() * Math.min(i, Math.max(1, start))))]))
    }
    await until(clock, Promise.all(joins))
  }
  const joinMs = clock.now()
  const sizes = nodes.map((n) => n.stats().nodes.v4)
  const before = await lookupRound(clock, nodes, options.lookups, random, rand)
  const churn = options.churn ?? 0.3
  const leaving = new Set<number>()
  while (leaving.size < Math.floor(nodes.length * churn)) leaving.add(Math.floor(rand() * nodes.length))
  await Promise.all([...leaving].map((i) => nodes[i]!.close()))
  const alive = nodes.filter((_, i) => !leaving.has(i))
  const after = await lookupRound(clock, alive, options.lookups, random, rand)
  await Promise.all(alive.map((n) => n.close()))
  return {
    nodes: nodes.length,
    joinMs,
    tableSize: {
      mean: sizes.reduce((a, b) => a + b, 0) / sizes.length,
      min: Math.min(...sizes),
      max: Math.max(...sizes),
      predicted: K * Math.log2(nodes.length / K),
    },
    before,
    after,
    alive: alive.length,
    datagrams: net.delivered,
  }
}

async function lookupRound(
  clock: VirtualClock,
  nodes: DhtNode[],
  count: number,
  random: (n: number) => Uint8Array,
  rand: () => number,
): Promise<LookupRound> {
  const pick = () => nodes[Math.floor(rand() * nodes.length)]!
  const hops: number[] = []
  const queries: number[] = []
  let found = 0
  const runs = Array.from({ length: count }, async () => {
    const target = random(20)
    const { nodes: result, stats } = await pick().core.findNode(target)
    const best = nodes.reduce((a, b) => (compareDistance(target, a.core.id, b.core.id) <= 0 ? a : b))
    if (result.some((n) => idHex(n.id) === idHex(best.core.id))) found++
    hops[stats.hops] = (hops[stats.hops] ?? 0) + 1
    queries.push(stats.queries)
  })
  await until(clock, Promise.all(runs))
  // One announce, then get_peers from random nodes.
  const infoHash = random(20)
  const announcer = pick()
  await until(clock, announcer.announce(infoHash, 6881))
  const seekers = Array.from({ length: Math.min(count, 20) }, () => pick().getPeers(infoHash))
  const results = await until(clock, Promise.all(seekers))
  const announced = announcer.addresses()[0]!.host
  const foundPeers = results.filter((r) => r.peers.some((p) => p.host === announced)).length / results.length
  queries.sort((a, b) => a - b)
  return {
    lookups: count,
    foundClosest: found / count,
    foundPeers,
    hops: Array.from(hops, (h) => h ?? 0),
    queries: {
      median: queries[Math.floor(queries.length / 2)] ?? 0,
      p95: queries[Math.floor(queries.length * 0.95)] ?? 0,
      max: queries[queries.length - 1] ?? 0,
    },
  }
}

/** Advances the virtual clock until `promise` settles. */
export async function until<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let settled = false
  const p = promise.finally(() => {
    settled = true
  })
  // Handled here so a rejection during the loop is not reported as unhandled; the caller gets it.
  p.catch(() => {})
  while (!settled) await clock.advance(100)
  return p
}
