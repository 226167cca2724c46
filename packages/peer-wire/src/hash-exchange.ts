import { toHex } from '@p2p/bytes'
import type { WireClock } from './clock.js'
import { PeerWireError } from './errors.js'
import type { HashRequest, Message } from './messages.js'
import type { HashesMessage } from './wire-events.js'

interface Pending {
  request: HashRequest
  resolve: (m: HashesMessage) => void
  reject: (err: PeerWireError) => void
  deadline: number
}

const keyOf = (r: HashRequest) =>
  `${toHex(r.piecesRoot)}:${r.baseLayer}:${r.index}:${r.length}:${r.proofLayers}`
const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0
const fields = (r: HashRequest): HashRequest => ({
  piecesRoot: r.piecesRoot,
  baseLayer: r.baseLayer,
  index: r.index,
  length: r.length,
  proofLayers: r.proofLayers,
})

/**
 * The BEP 52 hash request / hashes / hash reject exchange of one wire: our requests waiting for an
 * answer (matched by all five fields), and the peer's requests waiting for ours (bounded).
 */
export class HashExchange {
  readonly #pending = new Map<string, Pending>()
  readonly #peerQueued = new Set<string>()
  readonly #send: (m: Message) => void
  readonly #maxLength: number
  readonly #maxQueued: number
  readonly #timeout: number
  readonly #clock: WireClock

  constructor(
    send: (m: Message) => void,
    limits: { maxLength: number; maxQueued: number; timeout: number; clock: WireClock },
  ) {
    this.#send = send
    this.#maxLength = limits.maxLength
    this.#maxQueued = limits.maxQueued
    this.#timeout = limits.timeout
    this.#clock = limits.clock
  }

  /** Why a request is invalid (BEP 52: length a power of two >= 2, index a multiple of it), or undefined. */
  problem(r: HashRequest): string | undefined {
    if (r.piecesRoot.length !== 32) return `expected a 32-byte pieces root, got ${r.piecesRoot.length}`
    const max = this.#maxLength
    if (!isPowerOfTwo(r.length) || r.length < 2 || r.length > max) {
      return `expected a hash count that is a power of two in 2..${max}, got ${r.length}`
    }
    if (r.index % r.length !== 0) return `expected an index that is a multiple of ${r.length}, got ${r.index}`
    if (r.baseLayer > 63 || r.proofLayers > 63) return 'layer numbers above 63'
    return undefined
  }

  request(request: HashRequest): Promise<HashesMessage> {
    return new Promise<HashesMessage>((resolve, reject) => {
      const problem = this.problem(request)
      if (problem) return reject(new RangeError(problem))
      const key = keyOf(request)
      if (this.#pending.has(key)) {
        return reject(
          new PeerWireError('PEER_WIRE_TOO_MANY_REQUESTS', 'the same hash request is outstanding'),
        )
      }
      const req = { ...fields(request), piecesRoot: request.piecesRoot.slice() }
      this.#pending.set(key, { request: req, resolve, reject, deadline: this.#clock.now() + this.#timeout })
      this.#send({ type: 'hash-request', ...req })
    })
  }

  /** Answers a peer request. */
  answer(request: HashRequest, hashes: Uint8Array): void {
    this.#peerQueued.delete(keyOf(request))
    this.#send({ type: 'hashes', ...fields(request), hashes })
  }

  /** Refuses a peer request. */
  refuse(request: HashRequest): void {
    this.#peerQueued.delete(keyOf(request))
    this.#send({ type: 'hash-reject', ...fields(request) })
  }

  /**
   * A peer request: returns a copy to hand to the listener, or undefined after refusing it (invalid,
   * too many queued, a duplicate, or nobody to answer).
   */
  onRequest(m: HashRequest, canAnswer: boolean): HashRequest | undefined {
    const req = fields(m)
    const key = keyOf(req)
    if (
      this.problem(req) ||
      this.#peerQueued.size >= this.#maxQueued ||
      this.#peerQueued.has(key) ||
      !canAnswer
    ) {
      this.#send({ type: 'hash-reject', ...req })
      return undefined
    }
    this.#peerQueued.add(key)
    return { ...req, piecesRoot: req.piecesRoot.slice() }
  }

  /**
   * A 'hashes' message: resolves the matching request and returns the answer.
   * @throws {PeerWireError} `PEER_WIRE_BAD_HASHES` when it answers nothing or has the wrong number of hashes.
   */
  onHashes(m: HashesMessage): HashesMessage {
    const key = keyOf(m)
    const p = this.#pending.get(key)
    if (!p) throw new PeerWireError('PEER_WIRE_BAD_HASHES', 'hashes that answer no request of ours')
    const n = m.hashes.length / 32
    if (n < m.length || n > m.length + m.proofLayers) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_HASHES',
        `${n} hashes for ${m.length} + ${m.proofLayers} proof layers`,
      )
    }
    this.#pending.delete(key)
    const out = { ...p.request, hashes: m.hashes.slice() }
    p.resolve(out)
    return out
  }

  /** A 'hash reject': fails the matching request; returns the request, or undefined if none matched. */
  onReject(m: HashRequest): HashRequest | undefined {
    const key = keyOf(m)
    const p = this.#pending.get(key)
    if (!p) return undefined
    this.#pending.delete(key)
    p.reject(new PeerWireError('PEER_WIRE_HASH_REJECTED', 'the peer rejected our hash request'))
    return p.request
  }

  /** Fails requests past their deadline. */
  expire(now: number): void {
    for (const [key, p] of this.#pending) {
      if (p.deadline > now) continue
      this.#pending.delete(key)
      p.reject(new PeerWireError('PEER_WIRE_REQUEST_TIMEOUT', 'hash request timed out'))
    }
  }

  /** Fails every pending request (the wire closed). */
  close(reason: PeerWireError): void {
    for (const p of this.#pending.values()) p.reject(reason)
    this.#pending.clear()
    this.#peerQueued.clear()
  }
}
