import { addressKey, type NodeContact } from './compact-nodes.js'
import { compareDistance, idHex } from './node-id.js'
import { K } from './routing-table.js'

/** Kademlia's concurrency: queries in flight per lookup. */
export const ALPHA = 3
/** Candidates remembered per lookup (the closest are kept). */
const MAX_CANDIDATES = K * 8

type CandidateState = 'new' | 'pending' | 'done' | 'failed'

interface Candidate {
  contact: NodeContact
  state: CandidateState
  /** Round at which the candidate was learnt: 1 for seeds, parent's + 1 for the nodes it returned. */
  hops: number
  /** Write token from `get_peers`/`get`. */
  token?: Uint8Array
}

/** A node that answered, with the token it gave (for `announce_peer`/`put`). */
export interface LookupResponder {
  /** The node. */
  contact: NodeContact
  /** Its write token, if it gave one. */
  token: Uint8Array | undefined
}

/** Figures of one finished lookup. */
export interface LookupStats {
  /** Queries sent. */
  queries: number
  /** Queries answered. */
  responses: number
  /** Round (1 = a seed) at which the closest responding node was learnt. */
  hops: number
}

/**
 * An iterative Kademlia lookup as a state machine (no I/O): it says whom to query next, is told
 * about answers and failures, and converges when the k closest nodes it knows have all answered or
 * failed, with at most alpha queries in flight.
 */
export class Lookup {
  readonly target: Uint8Array
  readonly #candidates: Candidate[] = []
  readonly #seen = new Set<string>()
  #queries = 0
  #responses = 0

  constructor(target: Uint8Array, seeds: readonly NodeContact[]) {
    this.target = target
    this.#add(seeds, 1)
  }

  /** Contacts to query now (marked pending), keeping at most alpha in flight. */
  next(): NodeContact[] {
    let pending = 0
    for (const c of this.#candidates) if (c.state === 'pending') pending++
    const out: NodeContact[] = []
    let live = 0
    for (const c of this.#candidates) {
      if (pending >= ALPHA || live >= K) break
      if (c.state === 'failed') continue
      live++
      if (c.state !== 'new') continue
      c.state = 'pending'
      pending++
      this.#queries++
      out.push(c.contact)
    }
    return out
  }

  /** Whether the lookup has converged (nothing in flight and the k closest all settled). */
  get done(): boolean {
    let live = 0
    for (const c of this.#candidates) {
      if (c.state === 'failed') continue
      if (c.state !== 'done') return false
      if (++live >= K) break
    }
    return true
  }

  /** Records an answer from `contact` with the nodes it returned and its token. */
  responded(contact: NodeContact, nodes: readonly NodeContact[], token?: Uint8Array): void {
    const c = this.#find(contact)
    if (c?.state !== 'pending') return
    c.state = 'done'
    c.token = token
    this.#responses++
    this.#add(nodes, c.hops + 1)
  }

  /** Records a timeout or error from `contact`. */
  failed(contact: NodeContact): void {
    const c = this.#find(contact)
    if (c && c.state === 'pending') c.state = 'failed'
  }

  /** The `count` closest nodes that answered, closest first, with their tokens. */
  closest(count = K): LookupResponder[] {
    return this.#candidates
      .filter((c) => c.state === 'done')
      .slice(0, count)
      .map((c) => ({ contact: c.contact, token: c.token }))
  }

  /** Queries, answers and hops so far. */
  stats(): LookupStats {
    const first = this.#candidates.find((c) => c.state === 'done')
    return { queries: this.#queries, responses: this.#responses, hops: first?.hops ?? 0 }
  }

  #find(contact: NodeContact): Candidate | undefined {
    const key = candidateKey(contact)
    return this.#candidates.find((c) => candidateKey(c.contact) === key)
  }

  #add(nodes: readonly NodeContact[], hops: number): void {
    for (const contact of nodes) {
      const key = candidateKey(contact)
      if (this.#seen.has(key)) continue
      this.#seen.add(key)
      this.#candidates.push({ contact, state: 'new', hops })
    }
    this.#candidates.sort((a, b) => compareDistance(this.target, a.contact.id, b.contact.id))
    // Forget the farthest unqueried candidates; pending ones stay until they settle.
    for (
      let i = this.#candidates.length - 1;
      i >= MAX_CANDIDATES && this.#candidates.length > MAX_CANDIDATES;
      i--
    ) {
      if (this.#candidates[i]!.state === 'new') this.#candidates.splice(i, 1)
    }
  }
}

function candidateKey(contact: NodeContact): string {
  return `${idHex(contact.id)}@${addressKey(contact.address)}`
}
