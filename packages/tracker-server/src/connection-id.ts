import { createHmac, randomBytes } from 'node:crypto'
import { ipToBytes } from '@p2p/peer-address'

/** Length of one time slot of UDP connection ids, ms: an id is accepted in its slot and the next. */
export const CONNECTION_ID_SLOT_MS = 60_000
/** Client addresses whose MACs are cached. */
const MAC_CACHE_SIZE = 65_536

/**
 * Stateless BEP 15 connection ids: the first 8 bytes of HMAC-SHA256(secret, time slot || client IP).
 * An id cannot be forged without the secret, is bound to the client's address, and is accepted for
 * one to two slots (at most two minutes), so no per-connection state is kept. Processes that share a
 * UDP port (cluster mode) share the secret.
 */
export class ConnectionIds {
  readonly #secret: Buffer
  readonly #slotMs: number
  readonly #now: () => number
  readonly #scratch = Buffer.alloc(4 + 16)
  /** MACs of the current and previous slot by IP: a cache (cleared as slots pass), not connection state. */
  #cache = new Map<string, Buffer>()
  #cacheSlot = -1

  constructor(options: { secret?: Uint8Array; slotMs?: number; now?: () => number } = {}) {
    this.#secret = Buffer.from(options.secret ?? randomBytes(32))
    this.#slotMs = options.slotMs ?? CONNECTION_ID_SLOT_MS
    this.#now = options.now ?? Date.now
  }

  /** A fresh id for a client address. */
  issue(ip: string): Buffer {
    return this.#mac(Math.floor(this.#now() / this.#slotMs), ip)
  }

  /** Whether `id` (8 bytes) was issued to `ip` in this slot or the previous one. */
  verify(id: Uint8Array, ip: string): boolean {
    const slot = Math.floor(this.#now() / this.#slotMs)
    return equal8(this.#mac(slot, ip), id) || equal8(this.#mac(slot - 1, ip), id)
  }

  #mac(slot: number, ip: string): Buffer {
    if (slot !== this.#cacheSlot && slot !== this.#cacheSlot - 1) {
      if (slot > this.#cacheSlot) {
        this.#cache = new Map()
        this.#cacheSlot = slot
      }
      return this.#compute(slot, ip)
    }
    const key = slot === this.#cacheSlot ? ip : `-${ip}`
    let id = this.#cache.get(key)
    if (id === undefined) {
      if (this.#cache.size >= MAC_CACHE_SIZE) this.#cache.clear()
      id = this.#compute(slot, ip)
      this.#cache.set(key, id)
    }
    return id
  }

  #compute(slot: number, ip: string): Buffer {
    const ipBytes = ipToBytes(ip)
    this.#scratch.writeUInt32BE(slot >>> 0, 0)
    this.#scratch.set(ipBytes, 4)
    return createHmac('sha256', this.#secret)
      .update(this.#scratch.subarray(0, 4 + ipBytes.length))
      .digest()
      .subarray(0, 8)
  }
}

function equal8(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0
  for (let i = 0; i < 8; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
