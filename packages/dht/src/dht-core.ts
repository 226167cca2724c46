import { randomBytes } from 'node:crypto'
import type { Encodable } from '@p2p/bencode'
import { decodeCompactPeers, type IpFamily, ipFamily, type PeerAddress } from '@p2p/peer-address'
import { isLocalAddress, isUnusableSource } from './address-class.js'
import { addressKey, decodeCompactNodes, type NodeContact } from './compact-nodes.js'
import { DhtError, KrpcErrorCode } from './errors.js'
import { ItemStore } from './item-store.js'
import { encodeError, encodeQuery, type KrpcResponse, parseMessage } from './krpc.js'
import { Lookup, type LookupResponder, type LookupStats } from './lookup.js'
import { idFromHex, idHex, randomIdInBucket } from './node-id.js'
import { PeerStore } from './peer-store.js'
import { RateLimiter } from './rate-limit.js'
import { answerQuery } from './responder.js'
import { K, RoutingTable } from './routing-table.js'
import { isSecureNodeId, nodeIdAcceptable, secureNodeId } from './secure-id.js'
import { TokenSecrets } from './tokens.js'
import { Transactions } from './transactions.js'

/** How long a query waits for its answer by default. */
export const DEFAULT_QUERY_TIMEOUT_MS = 2000
/** BEP 5: buckets unchanged for 15 minutes are refreshed with a lookup of a random id in them. */
export const BUCKET_REFRESH_MS = 15 * 60_000
/** Distinct responders that must report the same external address before we adopt it (BEP 42). */
export const EXTERNAL_ADDRESS_VOTES = 3
/** Retry the bootstrap nodes this often while the routing table is empty. */
const REBOOTSTRAP_MS = 60_000
/** Peers read from one `get_peers` answer (a 1024-byte answer holds at most ~120). */
const MAX_VALUES_READ = 200
/** Voters remembered for the external address (bounded memory). */
const MAX_VOTERS = 64
/** Nodes learnt outside the DHT ({@link DhtCore.addNode}) pinged at once at most. */
export const MAX_ADDING = 64

/** A routing-table entry as saved by {@link DhtCore.save}. */
export interface SavedNode {
  /** Node id, 40 hex characters. */
  id: string
  /** Address. */
  host: string
  /** UDP port. */
  port: number
}

/** The state {@link DhtCore.save} returns: enough to rejoin without bootstrap nodes. */
export interface SavedTable {
  /** Our node id, 40 hex characters. */
  id: string
  /** Nodes of every table. */
  nodes: SavedNode[]
}

/** Options of {@link DhtCore}. */
export interface DhtCoreOptions {
  /** Where datagrams go. */
  send: (data: Uint8Array, to: PeerAddress) => void
  /** The clock (ms). */
  now: () => number
  /** Random bytes (inject a seeded source for reproducible simulations). Default `crypto.randomBytes`. */
  random?: (n: number) => Uint8Array
  /** Our node id; default random (and replaced by a BEP 42 id once the external address is known). */
  id?: Uint8Array
  /** Address families to run a routing table for (BEP 32). Default `[4]`. */
  families?: readonly IpFamily[]
  /** Nodes to ask first (`host:port`, no ids needed). No public defaults: pass your own. */
  bootstrap?: readonly PeerAddress[]
  /** A table saved by {@link DhtCore.save}, to rejoin without bootstrap nodes. */
  restore?: SavedTable
  /** BEP 43: never answer queries, and ask others not to add us. Default false. */
  readOnly?: boolean
  /** BEP 42: keep non-local nodes whose id does not match their address out of the table. Default true. */
  enforceNodeId?: boolean
  /** BEP 42: take a secure id once enough responders agree on our external address. Default true unless `id` is given. */
  adoptSecureId?: boolean
  /** Query timeout (ms). Default {@link DEFAULT_QUERY_TIMEOUT_MS}. */
  queryTimeoutMs?: number
  /** Queries in flight at most. Default 1024. */
  maxPending?: number
  /** Queries per second and burst accepted from one address. Default 20/s, burst 40. */
  rateLimit?: { perSecond: number; burst: number }
}

/** Counters of {@link DhtCore.stats}. */
export interface DhtStats {
  /** Our node id (hex). */
  id: string
  /** Nodes per family's routing table. */
  nodes: { v4: number; v6: number }
  /** Buckets per family's routing table. */
  buckets: { v4: number; v6: number }
  /** Queries in flight. */
  pending: number
  /** Info hashes with announced peers. */
  infoHashes: number
  /** BEP 44 items stored. */
  items: number
  /** Datagrams received, queries answered, datagrams sent. */
  received: number
  /** Queries answered. */
  answered: number
  /** Datagrams sent. */
  sent: number
  /** Datagrams dropped: malformed without a transaction, rate-limited, from unusable sources. */
  dropped: number
  /** Malformed datagrams, by error code. */
  malformed: Record<string, number>
  /** Our external address as the majority of responders report it (BEP 42), if known. */
  externalAddress: PeerAddress | undefined
}

/** The peers a `get_peers` lookup found. */
export interface GetPeersResult {
  /** Distinct peers from every `values` answer. */
  peers: PeerAddress[]
  /** The closest nodes that answered, with their tokens. */
  closest: LookupResponder[]
  /** Lookup figures (summed over families). */
  stats: LookupStats
}

/** A KRPC response with the address it came from. */
export interface QueryAnswer {
  /** The decoded response. */
  response: KrpcResponse
  /** Who answered. */
  from: NodeContact
}

/**
 * The Mainline DHT node as a sans-I/O core (BEP 5, 42, 43, 44, 51, 32): datagrams and time in,
 * datagrams out through `send`; call {@link DhtCore.tick} regularly. {@link DhtNode} binds it to
 * a transport and timers.
 */
export class DhtCore {
  #id: Uint8Array
  readonly #send: (data: Uint8Array, to: PeerAddress) => void
  readonly #now: () => number
  readonly #random: (n: number) => Uint8Array
  readonly #tables = new Map<IpFamily, RoutingTable>()
  readonly #bootstrap: readonly PeerAddress[]
  readonly #readOnly: boolean
  readonly #enforceNodeId: boolean
  #adoptSecureId: boolean
  readonly #timeout: number
  readonly #transactions: Transactions
  readonly #limiter: RateLimiter
  readonly #tokens: TokenSecrets
  readonly #peers = new PeerStore()
  readonly #items = new ItemStore()
  readonly #votes = new Map<string, { address: PeerAddress; voters: Set<string> }>()
  readonly #adding = new Set<string>()
  #external: PeerAddress | undefined
  #lastBootstrap = Number.NEGATIVE_INFINITY
  #stopped = false
  readonly #counters = { received: 0, answered: 0, sent: 0, dropped: 0 }
  readonly #malformed: Record<string, number> = {}

  constructor(options: DhtCoreOptions) {
    this.#send = options.send
    this.#now = options.now
    this.#random = options.random ?? ((n) => new Uint8Array(randomBytes(n)))
    const restoredId = options.restore && idFromHex(options.restore.id)
    this.#id = options.id ?? restoredId ?? this.#random(20)
    this.#adoptSecureId = options.adoptSecureId ?? options.id === undefined
    this.#bootstrap = options.bootstrap ?? []
    this.#readOnly = options.readOnly ?? false
    this.#enforceNodeId = options.enforceNodeId ?? true
    this.#timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
    this.#transactions = new Transactions(options.maxPending)
    this.#limiter = new RateLimiter(options.rateLimit?.perSecond, options.rateLimit?.burst)
    this.#tokens = new TokenSecrets(this.#random, this.#now())
    for (const f of options.families ?? [4]) this.#tables.set(f, new RoutingTable(this.#id, K, this.#now()))
    for (const n of options.restore?.nodes ?? []) {
      const id = idFromHex(n.id)
      if (id)
        this.#tableFor(n.host)?.heard({ id, address: { host: n.host, port: n.port } }, this.#now(), false)
    }
  }

  /** Our node id. */
  get id(): Uint8Array {
    return this.#id
  }

  /** The routing table of `family`, if we run one. */
  table(family: IpFamily): RoutingTable | undefined {
    return this.#tables.get(family)
  }

  /** Announced peers held by this node (what `get_peers` answers from). */
  get peerStore(): PeerStore {
    return this.#peers
  }

  /** Handles one datagram from `from`. Never throws: bad input is counted and answered or dropped. */
  receive(data: Uint8Array, from: PeerAddress): void {
    if (this.#stopped) return
    this.#counters.received++
    if (isUnusableSource(from.host, from.port)) {
      this.#counters.dropped++
      return
    }
    const now = this.#now()
    let msg: ReturnType<typeof parseMessage>
    try {
      msg = parseMessage(data)
    } catch (e) {
      const err = e as DhtError
      this.#malformed[err.code] = (this.#malformed[err.code] ?? 0) + 1
      if (err.transaction && !this.#readOnly && this.#limiter.allow(from.host, now)) {
        this.#emit(encodeError(err.transaction, KrpcErrorCode.PROTOCOL, err.message.slice(0, 100)), from)
      } else this.#counters.dropped++
      return
    }
    if (msg.y === 'q') {
      if (this.#readOnly || !this.#limiter.allow(from.host, now)) {
        this.#counters.dropped++
        return
      }
      if (!msg.readOnly) this.#heard({ id: msg.id, address: from })
      this.#counters.answered++
      this.#emit(
        answerQuery(
          {
            id: this.#id,
            tables: this.#tables,
            tokens: this.#tokens,
            peers: this.#peers,
            items: this.#items,
            now,
          },
          msg,
          from,
        ),
        from,
      )
      return
    }
    if (!this.#transactions.settle(msg, from)) {
      this.#counters.dropped++
      return
    }
    if (msg.y === 'r') {
      this.#heard({ id: msg.id, address: from })
      if (msg.ip) this.#vote(msg.ip, from)
    }
  }

  /** Advances time: expires queries, rotates tokens, expires stores, refreshes a stale bucket. */
  tick(): void {
    if (this.#stopped) return
    const now = this.#now()
    this.#transactions.expire(now)
    this.#tokens.tick(now)
    this.#peers.expire(now)
    this.#items.expire(now)
    let empty = true
    for (const [family, table] of this.#tables) {
      if (table.size > 0) empty = false
      const stale = table.takeStaleBucket(now, BUCKET_REFRESH_MS)
      if (stale !== undefined && table.size > 0) {
        const target = randomIdInBucket(this.#id, stale, this.#random(20))
        this.#runLookup(family, target, 'find_node', { target }).catch(() => {})
      }
    }
    if (empty && this.#bootstrap.length > 0 && now - this.#lastBootstrap >= REBOOTSTRAP_MS) {
      this.bootstrap().catch(() => {})
    }
  }

  /**
   * Sends one query and waits for its answer.
   * @throws {DhtError} `DHT_TIMEOUT`, `DHT_REMOTE_ERROR`, `DHT_TOO_MANY_PENDING` or `DHT_STOPPED`.
   */
  async query(
    to: PeerAddress,
    q: string,
    args: Record<string, Encodable | undefined>,
    expectedId?: Uint8Array,
  ): Promise<QueryAnswer> {
    if (this.#stopped) throw new DhtError('DHT_STOPPED', 'node stopped')
    const { t, done } = this.#transactions.open(to, this.#now() + this.#timeout)
    this.#emit(encodeQuery(t, q, { id: this.#id, ...args }, this.#readOnly), to)
    try {
      const response = await done
      return { response, from: { id: response.id, address: to } }
    } catch (e) {
      if ((e as DhtError).code === 'DHT_TIMEOUT' && expectedId) this.#tableFor(to.host)?.failed(expectedId)
      throw e
    }
  }

  /** Pings a node; resolves with its id. */
  async ping(to: PeerAddress): Promise<Uint8Array> {
    return (await this.query(to, 'ping', {})).from.id
  }

  /**
   * Pings a node learnt outside the DHT (a peer's BEP 5 `port` message; libtorrent's `add_node`):
   * an answer adds it to the routing table like any other. Resolves whether it answered. No
   * datagram for an unusable address, a family we run no table for, a node already in the table,
   * an address already being pinged, or more than {@link MAX_ADDING} pings at once.
   */
  async addNode(address: PeerAddress): Promise<boolean> {
    const key = addressKey(address)
    const table = this.#tableFor(address.host)
    if (
      !table ||
      isUnusableSource(address.host, address.port) ||
      this.#adding.has(key) ||
      this.#adding.size >= MAX_ADDING ||
      table.nodes().some((n) => addressKey(n.address) === key)
    )
      return false
    this.#adding.add(key)
    try {
      await this.ping(address)
      return true
    } catch {
      return false
    } finally {
      this.#adding.delete(key)
    }
  }

  /**
   * Our external address as known outside the DHT (the gateway of a port mapping): taken at once,
   * with a BEP 42 id derived from it (as after {@link EXTERNAL_ADDRESS_VOTES} agreeing replies).
   * Local and private addresses (another NAT beyond) and non-addresses are ignored; returns
   * whether it was taken.
   */
  setExternalAddress(address: PeerAddress): boolean {
    if (!ipFamily(address.host) || isLocalAddress(address.host) || isUnusableSource(address.host, 1))
      return false
    if (this.#external?.host !== address.host || this.#external.port !== address.port) this.#adopt(address)
    return true
  }

  /** Asks the bootstrap nodes for nodes near our id, then looks our id up to fill the table. */
  async bootstrap(extra: readonly PeerAddress[] = []): Promise<void> {
    this.#lastBootstrap = this.#now()
    const seeds: NodeContact[] = []
    await Promise.allSettled(
      [...this.#bootstrap, ...extra].map(async (address) => {
        const { response, from } = await this.query(address, 'find_node', {
          target: this.#id,
          want: this.#want(address.host),
        })
        seeds.push(from, ...this.#learn(response))
      }),
    )
    await Promise.all(
      [...this.#tables.keys()].map((f) =>
        this.#runLookup(f, this.#id, 'find_node', { target: this.#id }, undefined, seeds),
      ),
    )
    // Kademlia: once the self lookup has found our neighbours, refresh every farther bucket.
    await Promise.all(
      [...this.#tables].flatMap(([f, table]) =>
        Array.from({ length: table.bucketCount - 1 }, (_, i) => {
          const target = randomIdInBucket(this.#id, i, this.#random(20))
          return this.#runLookup(f, target, 'find_node', { target })
        }),
      ),
    )
  }

  /** Iterative `find_node`: the k closest nodes to `target` that answered. */
  async findNode(target: Uint8Array): Promise<{ nodes: NodeContact[]; stats: LookupStats }> {
    const result = await this.lookup(target, 'find_node', { target })
    return { nodes: result.closest.map((r) => r.contact), stats: result.stats }
  }

  /** Iterative `get_peers` for `infoHash`: peers found and the closest nodes with their tokens. */
  async getPeers(infoHash: Uint8Array): Promise<GetPeersResult> {
    const peers = new Map<string, PeerAddress>()
    const result = await this.lookup(infoHash, 'get_peers', { info_hash: infoHash }, ({ response }) => {
      const values = response.r.values
      if (!Array.isArray(values)) return
      for (const v of values.slice(0, MAX_VALUES_READ)) {
        if (!(v instanceof Uint8Array) || (v.length !== 6 && v.length !== 18)) continue
        for (const peer of decodeCompactPeers(v, v.length === 6 ? 4 : 6)) peers.set(addressKey(peer), peer)
      }
    })
    return { peers: [...peers.values()], closest: result.closest, stats: result.stats }
  }

  /**
   * Looks `infoHash` up and announces us to the closest nodes that gave a token (BEP 5). Without
   * `port` the announce uses `implied_port`: the source port of our UDP datagrams.
   */
  async announce(infoHash: Uint8Array, port?: number): Promise<GetPeersResult & { announced: number }> {
    const found = await this.getPeers(infoHash)
    const args = { info_hash: infoHash, port: port ?? 1, implied_port: port === undefined ? 1 : undefined }
    const acks = await Promise.allSettled(
      found.closest
        .filter((r) => r.token)
        .map((r) =>
          this.query(r.contact.address, 'announce_peer', { ...args, token: r.token }, r.contact.id),
        ),
    )
    return { ...found, announced: acks.filter((a) => a.status === 'fulfilled').length }
  }

  /** BEP 51: asks one node for a sample of the info hashes it stores. */
  async sampleInfohashes(
    to: PeerAddress,
    target: Uint8Array = this.#random(20),
  ): Promise<{ samples: Uint8Array[]; num: number; interval: number; nodes: NodeContact[] }> {
    const { response } = await this.query(to, 'sample_infohashes', { target })
    const s = response.r.samples
    if (!(s instanceof Uint8Array) || s.length % 20 !== 0) {
      throw new DhtError('DHT_INVALID_ARGUMENT', 'samples must be a multiple of 20 bytes')
    }
    const samples: Uint8Array[] = []
    for (let p = 0; p < s.length; p += 20) samples.push(s.slice(p, p + 20))
    const num = typeof response.r.num === 'number' ? response.r.num : samples.length
    const interval = typeof response.r.interval === 'number' ? response.r.interval : 0
    return { samples, num, interval, nodes: this.#learn(response) }
  }

  /**
   * Runs an iterative lookup of `target` over every family's table with query `q` (`args` plus our
   * id and BEP 32 `want`), calling `onResponse` for each answer.
   */
  async lookup(
    target: Uint8Array,
    q: string,
    args: Record<string, Encodable | undefined>,
    onResponse?: (answer: QueryAnswer) => void,
  ): Promise<{ closest: LookupResponder[]; stats: LookupStats }> {
    const runs = await Promise.all(
      [...this.#tables.keys()].map((f) => this.#runLookup(f, target, q, args, onResponse)),
    )
    const closest = runs.flatMap((r) => r.closest(K))
    const stats = runs.map((r) => r.stats())
    return {
      closest,
      stats: {
        queries: stats.reduce((s, x) => s + x.queries, 0),
        responses: stats.reduce((s, x) => s + x.responses, 0),
        hops: Math.max(0, ...stats.map((x) => x.hops)),
      },
    }
  }

  /** The routing tables and our id, to pass back as `restore` after a restart. */
  save(): SavedTable {
    const nodes: SavedNode[] = []
    for (const t of this.#tables.values()) {
      for (const n of t.nodes()) nodes.push({ id: idHex(n.id), host: n.address.host, port: n.address.port })
    }
    return { id: idHex(this.#id), nodes }
  }

  /** Counters and table sizes. */
  stats(): DhtStats {
    const t4 = this.#tables.get(4)
    const t6 = this.#tables.get(6)
    return {
      id: idHex(this.#id),
      nodes: { v4: t4?.size ?? 0, v6: t6?.size ?? 0 },
      buckets: { v4: t4?.bucketCount ?? 0, v6: t6?.bucketCount ?? 0 },
      pending: this.#transactions.size,
      infoHashes: this.#peers.size,
      items: this.#items.size,
      ...this.#counters,
      malformed: { ...this.#malformed },
      externalAddress: this.#external,
    }
  }

  /** Stops: fails pending queries, ignores further input. */
  stop(): void {
    this.#stopped = true
    this.#transactions.clear()
  }

  #runLookup(
    family: IpFamily,
    target: Uint8Array,
    q: string,
    args: Record<string, Encodable | undefined>,
    onResponse?: (answer: QueryAnswer) => void,
    extraSeeds: readonly NodeContact[] = [],
  ): Promise<Lookup> {
    const table = this.#tables.get(family)!
    const seeds = extraSeeds.filter((s) => ipFamily(s.address.host) === family)
    const lookup = new Lookup(target, [...table.closest(target, K), ...seeds])
    const want = this.#tables.size > 1 ? [family === 4 ? 'n4' : 'n6'] : undefined
    return new Promise((resolve) => {
      const pump = () => {
        if (this.#stopped) return resolve(lookup)
        for (const contact of lookup.next()) {
          this.query(contact.address, q, { ...args, want }, contact.id).then(
            (answer) => {
              let nodes: NodeContact[] = []
              try {
                nodes = this.#learn(answer.response, family)
              } catch {
                lookup.failed(contact)
                return pump()
              }
              lookup.responded(contact, nodes, tokenOf(answer.response))
              onResponse?.(answer)
              pump()
            },
            () => {
              lookup.failed(contact)
              pump()
            },
          )
        }
        if (lookup.done) resolve(lookup)
      }
      pump()
    })
  }

  /** The contacts of a response's `nodes`/`nodes6` of `family` (or every family we run). */
  #learn(response: KrpcResponse, only?: IpFamily): NodeContact[] {
    const out: NodeContact[] = []
    for (const [family, key] of [
      [4, 'nodes'],
      [6, 'nodes6'],
    ] as const) {
      const bytes = response.r[key]
      if (!(bytes instanceof Uint8Array) || !this.#tables.has(family) || (only && only !== family)) continue
      out.push(
        ...decodeCompactNodes(bytes, family).filter((n) => !isUnusableSource(n.address.host, n.address.port)),
      )
    }
    return out
  }

  #heard(contact: NodeContact): void {
    const table = this.#tableFor(contact.address.host)
    if (!table) return
    if (this.#enforceNodeId && !nodeIdAcceptable(contact.id, contact.address.host)) return
    const { ping } = table.heard({ id: new Uint8Array(contact.id), address: contact.address }, this.#now())
    if (ping) this.query(ping.address, 'ping', {}, ping.id).catch(() => {})
  }

  #vote(ip: PeerAddress, voter: PeerAddress): void {
    if (!ipFamily(ip.host) || isLocalAddress(ip.host)) return
    let v = this.#votes.get(ip.host)
    if (!v) {
      if (this.#votes.size >= MAX_VOTERS) this.#votes.delete(this.#votes.keys().next().value!)
      v = { address: ip, voters: new Set() }
      this.#votes.set(ip.host, v)
    }
    if (v.voters.size < MAX_VOTERS) v.voters.add(voter.host)
    if (v.voters.size < EXTERNAL_ADDRESS_VOTES || this.#external?.host === ip.host) return
    this.#adopt(ip)
  }

  #adopt(ip: PeerAddress): void {
    this.#external = ip
    if (this.#adoptSecureId && !isSecureNodeId(this.#id, ip.host))
      this.#changeId(secureNodeId(ip.host, this.#random(20)))
  }

  #changeId(id: Uint8Array): void {
    this.#id = id
    for (const [family, old] of this.#tables) {
      const table = new RoutingTable(id, K, this.#now())
      for (const n of old.nodes()) table.heard(n, n.lastSeen, n.confirmed)
      this.#tables.set(family, table)
    }
  }

  #tableFor(host: string): RoutingTable | undefined {
    const f = ipFamily(host)
    return f ? this.#tables.get(f) : undefined
  }

  #want(host: string): string[] | undefined {
    if (this.#tables.size < 2) return undefined
    return ipFamily(host) === 6 ? ['n6', 'n4'] : ['n4', 'n6']
  }

  #emit(data: Uint8Array, to: PeerAddress): void {
    this.#counters.sent++
    this.#send(data, to)
  }
}

function tokenOf(response: KrpcResponse): Uint8Array | undefined {
  const t = response.r.token
  return t instanceof Uint8Array && t.length <= 64 ? new Uint8Array(t) : undefined
}
