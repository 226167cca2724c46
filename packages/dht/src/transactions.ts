import type { PeerAddress } from '@p2p/peer-address'
import { addressKey } from './compact-nodes.js'
import { DhtError } from './errors.js'
import type { KrpcErrorMessage, KrpcResponse } from './krpc.js'

/** Queries in flight at once by default; beyond it new queries fail with `DHT_TOO_MANY_PENDING`. */
export const DEFAULT_MAX_PENDING = 1024

interface Pending {
  to: PeerAddress
  expires: number
  resolve: (r: KrpcResponse) => void
  reject: (e: DhtError) => void
}

/**
 * Outstanding queries by 2-byte transaction id: bounded, matched to the address they were sent to
 * (an answer from elsewhere is ignored), failed with `DHT_TIMEOUT` when their time passes.
 */
export class Transactions {
  readonly #pending = new Map<number, Pending>()
  readonly #max: number
  #next = 0

  constructor(max = DEFAULT_MAX_PENDING) {
    this.#max = max
  }

  /** Queries in flight. */
  get size(): number {
    return this.#pending.size
  }

  /**
   * Opens a transaction to `to`, expiring at `expires`.
   * @throws {DhtError} `DHT_TOO_MANY_PENDING` when the cap is reached.
   */
  open(to: PeerAddress, expires: number): { t: Uint8Array; done: Promise<KrpcResponse> } {
    if (this.#pending.size >= this.#max) {
      throw new DhtError('DHT_TOO_MANY_PENDING', `${this.#pending.size} queries already in flight`)
    }
    while (this.#pending.has(this.#next)) this.#next = (this.#next + 1) & 0xffff
    const id = this.#next
    this.#next = (this.#next + 1) & 0xffff
    const done = new Promise<KrpcResponse>((resolve, reject) => {
      this.#pending.set(id, { to, expires, resolve, reject })
    })
    return { t: new Uint8Array([id >> 8, id & 0xff]), done }
  }

  /** Settles the transaction a response or error answers; false when none matches `from`. */
  settle(message: KrpcResponse | KrpcErrorMessage, from: PeerAddress): boolean {
    if (message.t.length !== 2) return false
    const id = (message.t[0]! << 8) | message.t[1]!
    const p = this.#pending.get(id)
    if (!p || addressKey(p.to) !== addressKey(from)) return false
    this.#pending.delete(id)
    if (message.y === 'r') p.resolve(message)
    else {
      p.reject(
        new DhtError('DHT_REMOTE_ERROR', `${message.code}: ${message.message.slice(0, 200)}`, {
          remoteCode: message.code,
        }),
      )
    }
    return true
  }

  /** Fails every transaction whose time has passed. */
  expire(now: number): void {
    for (const [id, p] of this.#pending) {
      if (p.expires > now) continue
      this.#pending.delete(id)
      p.reject(new DhtError('DHT_TIMEOUT', 'query timed out'))
    }
  }

  /** Fails everything (on stop). */
  clear(): void {
    for (const p of this.#pending.values()) p.reject(new DhtError('DHT_STOPPED', 'node stopped'))
    this.#pending.clear()
  }
}
