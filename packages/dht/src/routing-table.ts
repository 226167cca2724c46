import { equalBytes } from '@p2p/bytes'
import { addressKey, type NodeContact } from './compact-nodes.js'
import { commonPrefixBits, compareDistance, ID_LENGTH, idHex } from './node-id.js'

/** Kademlia bucket size (BEP 5: K = 8). */
export const K = 8
/** BEP 5: a node is good if it was heard from within 15 minutes; after that it is questionable. */
export const QUESTIONABLE_AFTER_MS = 15 * 60_000
/** Unanswered queries in a row after which a node is bad and may be replaced. */
export const BAD_AFTER_FAILURES = 2

/** A node in the routing table. */
export interface RoutingNode extends NodeContact {
  /** When we last heard from it (ms on the node's clock), or when it was restored from a save. */
  lastSeen: number
  /** Whether it ever answered or queried us (false for nodes restored from a save). */
  confirmed: boolean
  /** Unanswered queries since its last answer. */
  failures: number
}

interface Bucket {
  nodes: RoutingNode[]
  /** Nodes that would enter once a member goes bad (most recent last). */
  replacements: RoutingNode[]
  lastChanged: number
}

/** What {@link RoutingTable.heard} did with a node. */
export interface HeardResult {
  /** The node is (now) in the table. */
  added: boolean
  /** A questionable member of the full bucket to ping: if it fails, the newcomer replaces it. */
  ping?: RoutingNode
}

/**
 * A Kademlia routing table (BEP 5): buckets of at most k nodes, the bucket holding our own id
 * splits when full, good/questionable/bad nodes and a replacement cache per bucket.
 */
export class RoutingTable {
  readonly #id: Uint8Array
  readonly #k: number
  readonly #buckets: Bucket[]
  readonly #byId = new Map<string, RoutingNode>()

  constructor(id: Uint8Array, k = K, now = 0) {
    this.#id = id
    this.#k = k
    this.#buckets = [{ nodes: [], replacements: [], lastChanged: now }]
  }

  /** Our node id. */
  get id(): Uint8Array {
    return this.#id
  }

  /** Number of nodes in the table. */
  get size(): number {
    return this.#byId.size
  }

  /** Number of buckets (grows as the bucket around our id splits). */
  get bucketCount(): number {
    return this.#buckets.length
  }

  /** Nodes per bucket, from the farthest bucket to ours. */
  bucketSizes(): number[] {
    return this.#buckets.map((b) => b.nodes.length)
  }

  /** Every node in the table. */
  nodes(): RoutingNode[] {
    return [...this.#byId.values()]
  }

  /** The node with this id, if in the table. */
  get(id: Uint8Array): RoutingNode | undefined {
    return this.#byId.get(idHex(id))
  }

  #bucketIndex(id: Uint8Array): number {
    return Math.min(commonPrefixBits(this.#id, id), this.#buckets.length - 1)
  }

  /**
   * Records a message from `contact` at `now`; `confirmed = false` adds a node not heard from yet
   * (a restore). A node at a new address under a known id is ignored (it may be spoofed).
   */
  heard(contact: NodeContact, now: number, confirmed = true): HeardResult {
    if (contact.id.length !== ID_LENGTH || equalBytes(contact.id, this.#id)) return { added: false }
    const known = this.get(contact.id)
    if (known) {
      if (addressKey(known.address) !== addressKey(contact.address)) return { added: false }
      if (confirmed) {
        known.confirmed = true
        known.lastSeen = now
        known.failures = 0
        this.#buckets[this.#bucketIndex(contact.id)]!.lastChanged = now
      }
      return { added: true }
    }
    const node: RoutingNode = {
      id: contact.id,
      address: contact.address,
      lastSeen: now,
      failures: 0,
      confirmed,
    }
    for (;;) {
      const index = this.#bucketIndex(node.id)
      const bucket = this.#buckets[index]!
      if (bucket.nodes.length < this.#k) {
        this.#insert(bucket, node, now)
        return { added: true }
      }
      if (index === this.#buckets.length - 1 && index < ID_LENGTH * 8 - 1) {
        this.#split(now)
        continue
      }
      const bad = bucket.nodes.find((n) => n.failures >= BAD_AFTER_FAILURES)
      if (bad) {
        this.#remove(bucket, bad)
        this.#insert(bucket, node, now)
        return { added: true }
      }
      if (confirmed) this.#addReplacement(bucket, node)
      const stale = bucket.nodes
        .filter((n) => now - n.lastSeen > QUESTIONABLE_AFTER_MS)
        .sort((a, b) => a.lastSeen - b.lastSeen)[0]
      return stale ? { added: false, ping: stale } : { added: false }
    }
  }

  /** Records an unanswered query; a node that turns bad leaves when a replacement is waiting. */
  failed(id: Uint8Array): void {
    const node = this.get(id)
    if (!node) return
    node.failures++
    if (node.failures < BAD_AFTER_FAILURES) return
    const bucket = this.#buckets[this.#bucketIndex(id)]!
    const replacement = bucket.replacements.pop()
    if (replacement) {
      this.#remove(bucket, node)
      this.#insert(bucket, replacement, replacement.lastSeen)
    } else if (!node.confirmed) {
      this.#remove(bucket, node)
    }
  }

  /** Removes a node (e.g. one whose id no longer passes BEP 42). */
  remove(id: Uint8Array): void {
    const node = this.get(id)
    if (node) this.#remove(this.#buckets[this.#bucketIndex(id)]!, node)
  }

  /** Up to `count` non-bad nodes closest to `target`, closest first. */
  closest(target: Uint8Array, count = this.#k): RoutingNode[] {
    const all: RoutingNode[] = []
    for (const n of this.#byId.values()) if (n.failures < BAD_AFTER_FAILURES) all.push(n)
    all.sort((a, b) => compareDistance(target, a.id, b.id))
    return all.slice(0, count)
  }

  /**
   * The prefix length (bucket index) of the first bucket unchanged for `intervalMs`, for a refresh
   * lookup, marking it refreshed; `undefined` when none is stale.
   */
  takeStaleBucket(now: number, intervalMs: number): number | undefined {
    for (let i = 0; i < this.#buckets.length; i++) {
      const b = this.#buckets[i]!
      if (now - b.lastChanged >= intervalMs) {
        b.lastChanged = now
        return i
      }
    }
    return undefined
  }

  #insert(bucket: Bucket, node: RoutingNode, now: number): void {
    bucket.nodes.push(node)
    bucket.replacements = bucket.replacements.filter((r) => !equalBytes(r.id, node.id))
    bucket.lastChanged = Math.max(bucket.lastChanged, now)
    this.#byId.set(idHex(node.id), node)
  }

  #remove(bucket: Bucket, node: RoutingNode): void {
    bucket.nodes.splice(bucket.nodes.indexOf(node), 1)
    this.#byId.delete(idHex(node.id))
  }

  #addReplacement(bucket: Bucket, node: RoutingNode): void {
    const r = bucket.replacements.filter((x) => !equalBytes(x.id, node.id))
    r.push(node)
    if (r.length > this.#k) r.shift()
    bucket.replacements = r
  }

  #split(now: number): void {
    const index = this.#buckets.length - 1
    const old = this.#buckets[index]!
    const next: Bucket = { nodes: [], replacements: [], lastChanged: old.lastChanged }
    const moves = (n: RoutingNode) => commonPrefixBits(this.#id, n.id) > index
    next.nodes = old.nodes.filter(moves)
    old.nodes = old.nodes.filter((n) => !moves(n))
    next.replacements = old.replacements.filter(moves)
    old.replacements = old.replacements.filter((n) => !moves(n))
    old.lastChanged = Math.max(old.lastChanged, now)
    this.#buckets.push(next)
  }
}
