import type { PeerAddress } from '@p2p/peer-address'
import { MemoryStorage, type SimNetwork, type VirtualClock } from '@p2p/sim'
import { Client, type StorageOptions } from '@p2p/swarm'
import { SIM_BLOCK } from './sim-swarm-types.js'

/** Requests the swarm keeps open per connection at the least (its `MIN_PIPELINE`), 16 KiB blocks. */
const MIN_PIPELINE = 16
/** The wire's default time to answer a request, ms (stretched by the scale). */
const REQUEST_TIMEOUT_MS = 60_000
/** Pieces each simulated peer keeps read for uploads. */
const READ_CACHE_PIECES = 4
/**
 * Most time between two ticks of a simulated wire, ms. A wire's tick only checks its timeouts (a
 * simulated peer that leaves closes its connections, so none is needed to notice it): one event per
 * wire per 30 virtual s instead of per second, the largest share of a large swarm's events.
 */
const TICK_MS = 30_000
/** Time a simulated wire gives a handshake (its tick is at most a quarter of it), ms. */
const HANDSHAKE_TIMEOUT_MS = 4 * TICK_MS

/** What every client of one simulated swarm shares. */
export interface SimClientWorld {
  clock: VirtualClock
  random: () => number
  net: SimNetwork
  /** The file's content: a seeder's storage holds it, every peer reads uploads from it. */
  content: Uint8Array
  /** Virtual bytes a real byte stands for. */
  scale: number
}

/**
 * A real `@p2p/swarm` client at `addr` on the simulated network and clock, in memory, with its wire
 * timeouts stretched and its request pipeline shortened by the scale (a seeder's storage starts full).
 */
export function simClient(
  world: SimClientWorld,
  addr: PeerAddress,
  peerId: Uint8Array,
  seed: boolean,
): Client {
  const { clock, random, net, content, scale } = world
  return new Client({
    host: addr.host,
    port: addr.port,
    peerId,
    encryption: 'disabled',
    runtime: {
      clock,
      random,
      transport: net.transport(addr.host),
      storage: (o: StorageOptions) => new MemoryStorage(o, seed ? content : undefined, content),
      prepareDir: async () => {},
      checks: false,
      // Uploads read from one shared buffer: a piece cache per peer would hold the whole file each.
      readCacheBytes: READ_CACHE_PIECES * SIM_BLOCK,
      wire: {
        // Every byte stands for `scale` bytes, so every block takes `scale` times as long.
        requestTimeout: REQUEST_TIMEOUT_MS * Math.max(1, scale),
        messageTimeout: REQUEST_TIMEOUT_MS * Math.max(1, scale),
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        tickInterval: TICK_MS,
        // A pipeline of as many real bytes as the swarm's 16 real blocks (a scaled block stands for
        // `scale` of them), at least 2: scaled blocks otherwise queue `scale` times as long.
        maxRequests: Math.max(2, Math.ceil(MIN_PIPELINE / scale)),
      },
    },
  })
}
