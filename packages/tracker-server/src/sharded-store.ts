import type { MemoryStore } from './memory-store.js'
import {
  compactLists,
  type PeerStore,
  type ScrapeEntry,
  type StoreAnnounce,
  type StoreAnnounceResult,
  type StoreTotals,
  type SwarmCounts,
} from './peer-store.js'
import type { ShardAnnounceAnswer } from './shard-codec.js'

/** Default time a cluster worker waits for the worker owning an info hash, ms. */
export const DEFAULT_SHARD_TIMEOUT_MS = 5000

/** A store operation sent to the worker that owns the info hash. */
export type ShardCall =
  | { op: 'announce'; args: StoreAnnounce }
  | { op: 'scrape'; args: string[] }
  | { op: 'totals'; args: null }
  | { op: 'fullScrape'; args: number }

/** Sends a call to shard `to` and resolves with its answer. */
export type ShardTransport = (to: number, call: ShardCall) => Promise<unknown>

/** The worker (0..count-1) that owns an info hash: the first 32 bits modulo the worker count. */
export function shardOf(infoHashHex: string, count: number): number {
  return Number.parseInt(infoHashHex.slice(0, 8), 16) % count
}

/**
 * A {@link PeerStore} split over the workers of a cluster: each worker keeps the swarms of the info
 * hashes it owns in its own {@link MemoryStore} and asks the owner for the others (over a
 * {@link ShardTransport}: the cluster's direct worker links).
 */
export class ShardedStore implements PeerStore {
  readonly #local: MemoryStore
  readonly #self: number
  readonly #count: number
  readonly #send: ShardTransport

  constructor(local: MemoryStore, self: number, count: number, send: ShardTransport) {
    this.#local = local
    this.#self = self
    this.#count = count
    this.#send = send
  }

  /** Runs a call that another worker routed here (an announce answers a {@link ShardAnnounceAnswer}). */
  serve(call: ShardCall): unknown {
    if (call.op === 'announce') {
      // The compact lists, and the peer objects (which the memory store builds in a getter) only for a
      // caller that reads them.
      const r = this.#local.announce(call.args)
      const [compact4, compact6] = compactLists(r)
      const answer: ShardAnnounceAnswer = {
        complete: r.complete,
        incomplete: r.incomplete,
        downloaded: r.downloaded,
        compact4,
        compact6,
        peers: call.args.compactOnly ? [] : r.peers,
      }
      return answer
    }
    if (call.op === 'scrape') return this.#local.scrape(call.args)
    if (call.op === 'fullScrape') return this.#local.fullScrape(call.args)
    return this.#local.totals()
  }

  announce(req: StoreAnnounce): StoreAnnounceResult | Promise<StoreAnnounceResult> {
    const owner = shardOf(req.infoHash, this.#count)
    if (owner === this.#self) return this.#local.announce(req)
    return this.#send(owner, { op: 'announce', args: req }) as Promise<StoreAnnounceResult>
  }

  async scrape(infoHashes: readonly string[]): Promise<SwarmCounts[]> {
    const byOwner = new Map<number, number[]>()
    for (const [i, h] of infoHashes.entries()) {
      const owner = shardOf(h, this.#count)
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), i])
    }
    const out = new Array<SwarmCounts>(infoHashes.length)
    await Promise.all(
      [...byOwner].map(async ([owner, indexes]) => {
        const hashes = indexes.map((i) => infoHashes[i]!)
        const counts =
          owner === this.#self
            ? this.#local.scrape(hashes)
            : ((await this.#send(owner, { op: 'scrape', args: hashes })) as SwarmCounts[])
        for (const [k, i] of indexes.entries()) out[i] = counts[k]!
      }),
    )
    return out
  }

  /** Every worker's torrents, up to `limit` in all. */
  async fullScrape(limit: number): Promise<ScrapeEntry[]> {
    const all = await Promise.all(
      Array.from({ length: this.#count }, (_, i) =>
        i === this.#self
          ? this.#local.fullScrape(limit)
          : (this.#send(i, { op: 'fullScrape', args: limit }) as Promise<ScrapeEntry[]>),
      ),
    )
    return all.flat().slice(0, limit)
  }

  async totals(): Promise<StoreTotals> {
    const all = await Promise.all(
      Array.from({ length: this.#count }, (_, i) =>
        i === this.#self
          ? this.#local.totals()
          : (this.#send(i, { op: 'totals', args: null }) as Promise<StoreTotals>),
      ),
    )
    return all.reduce(
      (a, t) => ({
        torrents: a.torrents + t.torrents,
        seeders: a.seeders + t.seeders,
        leechers: a.leechers + t.leechers,
      }),
      { torrents: 0, seeders: 0, leechers: 0 },
    )
  }

  close(): void {
    this.#local.close()
  }
}
