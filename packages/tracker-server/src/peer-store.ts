/** What an announce does to a swarm (BEP 3 `event`; `none` for a regular re-announce). */
export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped'

/** A validated announce, as the server hands it to a {@link PeerStore}. */
export interface StoreAnnounce {
  /** Info hash, 40 lower-case hex characters. */
  infoHash: string
  /** The announcing peer's 20-byte id. */
  peerId: Uint8Array
  /** The peer's IP (normalised: IPv4-mapped IPv6 is plain IPv4). */
  host: string
  /** 4 or 6, the family of `host`. */
  family: 4 | 6
  /** The peer's listening port, 1..65535. */
  port: number
  /**
   * The announce `key` (BEP 3 / BEP 15; normalised by the server, see {@link normalizeKey}), when sent.
   * An announce for a known peer id from another IP is accepted only when it presents the key the peer
   * was recorded with (the peer moved); otherwise the store refuses it with `TRACKER_SERVER_PEER_CONFLICT`.
   */
  key?: string | undefined
  /** True when `left` is 0. */
  seeder: boolean
  event: AnnounceEvent
  /** Peers wanted in the answer (already capped by the server). */
  numwant: number
  /** Only peers of these families are returned (UDP answers one family; HTTP both). */
  families: readonly (4 | 6)[]
  /**
   * A hint: the caller reads only `compact4` / `compact6` of the answer (UDP, and HTTP with `compact=1`),
   * so a store that gives those may answer with an empty `peers` (a cluster worker then ships no peer objects).
   */
  compactOnly?: boolean
}

/** A peer in an announce answer. */
export interface StoredPeer {
  peerId: Uint8Array
  host: string
  port: number
  family: 4 | 6
  /** The compact form: 4+2 bytes (IPv4) or 16+2 bytes (IPv6). */
  compact: Uint8Array
}

/** Swarm counts of one torrent (BEP 48 scrape fields). */
export interface SwarmCounts {
  /** Seeders. */
  complete: number
  /** Leechers. */
  incomplete: number
  /** Completed downloads seen (`event=completed`). */
  downloaded: number
}

/** One torrent of a full scrape (BEP 48 scrape without `info_hash`). */
export interface ScrapeEntry extends SwarmCounts {
  /** Info hash, 40 lower-case hex characters. */
  infoHash: string
}

/** The answer of {@link PeerStore.announce}: counts after the announce and peers for the client. */
export interface StoreAnnounceResult extends SwarmCounts {
  /** The peers handed out (a store that also gives `compact4`/`compact6` may build it lazily, in a getter). */
  peers: StoredPeer[]
  /**
   * Optional fast path: the same peers' IPv4 compact forms back to back (6 bytes each), so the transports
   * copy bytes instead of reading `peers`. Given together with `compact6`.
   */
  compact4?: Uint8Array
  /** Optional fast path: the same peers' IPv6 compact forms back to back (18 bytes each). */
  compact6?: Uint8Array
}

/**
 * A result's peers as IPv4 and IPv6 compact lists: the store's own when it gave them (the fast
 * path), else built from `peers`.
 */
export function compactLists(result: StoreAnnounceResult): [Uint8Array, Uint8Array] {
  if (result.compact4 !== undefined && result.compact6 !== undefined)
    return [result.compact4, result.compact6]
  const of = (family: 4 | 6) =>
    Buffer.concat(result.peers.filter((p) => p.family === family).map((p) => p.compact))
  return [of(4), of(6)]
}

/** How many peers a result hands out (from the compact forms when the store gave them). */
export function peerCount(result: StoreAnnounceResult): number {
  return result.compact4 !== undefined && result.compact6 !== undefined
    ? result.compact4.length / 6 + result.compact6.length / 18
    : result.peers.length
}

/** Totals over every torrent a store holds. */
export interface StoreTotals {
  torrents: number
  seeders: number
  leechers: number
  /** Most peers kept over all torrents (a store with a global bound). */
  peerBudget?: number
  /** Peers evicted so far because that budget was full. */
  evictedPeers?: number
}

/** A value or a native promise of it (the memory store answers synchronously; `async` methods return native promises). */
export type MaybePromise<T> = T | Promise<T>

/**
 * Where a tracker keeps its swarms. {@link MemoryStore} (default) and {@link RedisStore} implement it;
 * any other backend can. Peers that stop announcing must expire; memory must stay bounded.
 */
export interface PeerStore {
  /** Records an announce and returns counts plus up to `numwant` other peers. */
  announce(req: StoreAnnounce): MaybePromise<StoreAnnounceResult>
  /** Counts for each info hash (hex), in order; unknown torrents are all zeros. */
  scrape(infoHashes: readonly string[]): MaybePromise<SwarmCounts[]>
  /**
   * Counts of up to `limit` torrents with live peers or downloads, for a full scrape (optional: without
   * it the server refuses full scrapes). Which torrents are left out beyond `limit` is up to the store.
   */
  fullScrape?(limit: number): MaybePromise<ScrapeEntry[]>
  /** Totals for `/stats` and `/metrics`. */
  totals(): MaybePromise<StoreTotals>
  /** Releases timers and connections. */
  close(): MaybePromise<void>
}

/** Whether a value is a promise (so callers can stay synchronous on the memory store's hot path). */
export function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return v instanceof Promise
}
