import type { Registry } from 'prom-client'
import type { TrackerServerErrorCode } from './errors.js'
import { loadOptional } from './optional.js'
import type { AnnounceEvent, StoreTotals } from './peer-store.js'

/** The transport a request came over. */
export type Protocol = 'http' | 'udp'

/** What `/stats` and {@link TrackerServer.stats} report. */
export interface TrackerStats extends StoreTotals {
  /** Seconds since the server started listening. */
  uptime: number
  /** Announces answered since start, by protocol. */
  announces: { http: number; udp: number }
  /** Announces per second over the last {@link ANNOUNCE_RATE_WINDOW_S} seconds. */
  announcesPerSecond: number
  /** Scrapes answered since start, by protocol. */
  scrapes: { http: number; udp: number }
  /** BEP 15 connects answered. */
  udpConnects: number
  /** Announces by event. */
  events: Record<AnnounceEvent, number>
  /** Refused requests by error code. */
  failures: Partial<Record<TrackerServerErrorCode, number>>
}

/** Window of the announces-per-second figure, seconds. */
export const ANNOUNCE_RATE_WINDOW_S = 10

/** Counters kept on the hot path as plain numbers; Prometheus reads them on scrape. */
export class StatsCounters {
  readonly announces = { http: 0, udp: 0 }
  readonly scrapes = { http: 0, udp: 0 }
  udpConnects = 0
  readonly events: Record<AnnounceEvent, number> = { none: 0, started: 0, completed: 0, stopped: 0 }
  readonly failures: Partial<Record<TrackerServerErrorCode, number>> = {}
  readonly #buckets = new Array<number>(ANNOUNCE_RATE_WINDOW_S + 1).fill(0)
  #bucketSecond = 0
  started = Date.now()

  announced(protocol: Protocol, event: AnnounceEvent): void {
    this.announces[protocol]++
    this.events[event]++
    const s = Math.floor(Date.now() / 1000)
    if (s !== this.#bucketSecond) this.#roll(s)
    this.#buckets[s % this.#buckets.length]!++
  }

  failed(code: TrackerServerErrorCode): void {
    this.failures[code] = (this.failures[code] ?? 0) + 1
  }

  /** Announces per second over the last complete seconds of the window. */
  rate(): number {
    const s = Math.floor(Date.now() / 1000)
    if (s !== this.#bucketSecond) this.#roll(s)
    let sum = 0
    for (let i = 1; i <= ANNOUNCE_RATE_WINDOW_S; i++)
      sum += this.#buckets[(s - i + this.#buckets.length) % this.#buckets.length]!
    const elapsed = Math.min(
      ANNOUNCE_RATE_WINDOW_S,
      Math.max(1, Math.floor((Date.now() - this.started) / 1000)),
    )
    return Math.round((sum / elapsed) * 10) / 10
  }

  snapshot(totals: StoreTotals): TrackerStats {
    return {
      ...totals,
      uptime: Math.round((Date.now() - this.started) / 1000),
      announces: { ...this.announces },
      announcesPerSecond: this.rate(),
      scrapes: { ...this.scrapes },
      udpConnects: this.udpConnects,
      events: { ...this.events },
      failures: { ...this.failures },
    }
  }

  #roll(s: number): void {
    const n = this.#buckets.length
    const gap = Math.min(n, s - this.#bucketSecond)
    for (let i = 1; i <= gap; i++) this.#buckets[(this.#bucketSecond + i) % n] = 0
    this.#bucketSecond = s
  }
}

/**
 * A Prometheus registry (prom-client) over the counters and the store totals: `p2p_tracker_*`
 * counters and gauges, read when `/metrics` is scraped. prom-client is an optional dependency, loaded
 * here (throws `TRACKER_SERVER_MISSING_DEPENDENCY` when missing).
 */
export function createMetrics(counters: StatsCounters, totals: () => Promise<StoreTotals>): Registry {
  const { Counter, Gauge, Registry } = loadOptional<typeof import('prom-client')>(
    'prom-client',
    'The /metrics endpoint',
  )
  const registry = new Registry()
  // One store read per scrape of /metrics, shared by the three gauges (collected concurrently).
  let cached: { at: number; value: Promise<StoreTotals> } | undefined
  const shared = (): Promise<StoreTotals> => {
    const now = Date.now()
    if (!cached || now - cached.at > 250) cached = { at: now, value: totals() }
    return cached.value
  }
  new Counter({
    name: 'p2p_tracker_announces_total',
    help: 'Announces answered, by protocol and event.',
    labelNames: ['protocol', 'event'],
    registers: [registry],
    collect() {
      this.reset()
      for (const protocol of ['http', 'udp'] as const) {
        // Per-event counts are not split by protocol: the protocol total goes on event="all".
        this.inc({ protocol, event: 'all' }, counters.announces[protocol])
      }
      for (const [event, n] of Object.entries(counters.events)) this.inc({ protocol: 'any', event }, n)
    },
  })
  new Counter({
    name: 'p2p_tracker_scrapes_total',
    help: 'Scrapes answered, by protocol.',
    labelNames: ['protocol'],
    registers: [registry],
    collect() {
      this.reset()
      for (const protocol of ['http', 'udp'] as const) this.inc({ protocol }, counters.scrapes[protocol])
    },
  })
  new Counter({
    name: 'p2p_tracker_udp_connects_total',
    help: 'BEP 15 connect requests answered.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.udpConnects)
    },
  })
  new Counter({
    name: 'p2p_tracker_failures_total',
    help: 'Requests refused, by error code.',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [code, n] of Object.entries(counters.failures)) this.inc({ code }, n)
    },
  })
  const gauge = (name: string, help: string, read: (t: StoreTotals) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(read(await shared()))
      },
    })
  gauge('p2p_tracker_torrents', 'Torrents with at least one peer.', (t) => t.torrents)
  gauge('p2p_tracker_seeders', 'Seeders over all torrents.', (t) => t.seeders)
  gauge('p2p_tracker_leechers', 'Leechers over all torrents.', (t) => t.leechers)
  gauge(
    'p2p_tracker_peer_budget',
    'Most peers kept over all torrents (0: no global bound).',
    (t) => t.peerBudget ?? 0,
  )
  gauge(
    'p2p_tracker_evicted_peers',
    'Peers evicted because the global peer budget was full.',
    (t) => t.evictedPeers ?? 0,
  )
  new Gauge({
    name: 'p2p_tracker_announces_per_second',
    help: `Announces per second over the last ${ANNOUNCE_RATE_WINDOW_S} s.`,
    registers: [registry],
    collect() {
      this.set(counters.rate())
    },
  })
  return registry
}
