import { type BencodeValue, decode, encode } from '@p2p/bencode'
import {
  decodeCompactPeers,
  encodeCompactPeers,
  formatPeer,
  ipFamily,
  type PeerAddress,
} from '@p2p/peer-address'
import type { WireClock } from './clock.js'
import { PeerWireError } from './errors.js'
import { isDict } from './extended-handshake.js'
import type { ExtensionContext, WireExtension } from './extension.js'
import { PEX_MAX_PER_MESSAGE, type PexMessage, type PexPeer, type PexUpdate } from './pex-message.js'

/**
 * The ut_pex extension (BEP 11). Outgoing updates are batched and sent at most once per interval,
 * with at most 50 added and 50 dropped after the first message, no duplicates and nothing both added
 * and dropped. Incoming messages arriving faster than half the interval are ignored.
 */
export class UtPex implements WireExtension {
  readonly name = 'ut_pex'
  readonly #wire: ExtensionContext
  readonly #interval: number
  readonly #maxPeers: number
  /** Peers we told this peer about (added and not dropped since). */
  readonly #advertised = new Set<string>()
  readonly #added = new Map<string, PexPeer>()
  readonly #dropped = new Map<string, PeerAddress>()
  #lastSent = Number.NEGATIVE_INFINITY
  #lastReceived = Number.NEGATIVE_INFINITY
  #sentFirst = false
  #timer: unknown
  readonly #time: WireClock
  /** Incoming messages ignored for coming too often. */
  ignored = 0

  constructor(wire: ExtensionContext, interval: number, maxPeers: number) {
    this.#wire = wire
    this.#time = wire.clock
    this.#interval = interval
    this.#maxPeers = maxPeers
  }

  onMessage(payload: Uint8Array): void {
    const now = this.#time.now()
    if (now - this.#lastReceived < this.#interval / 2) {
      this.ignored++
      return
    }
    this.#lastReceived = now
    let d: BencodeValue
    try {
      d = decode(payload, { strict: false, maxDepth: 4, maxTokens: 64 })
    } catch (err) {
      throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'ut_pex message is not bencoded', { cause: err })
    }
    if (!isDict(d)) throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'ut_pex message is not a dictionary')
    const list = (key: string, family: 4 | 6): PeerAddress[] => {
      const v = d[key]
      if (!(v instanceof Uint8Array)) return []
      try {
        const peers = decodeCompactPeers(v, family)
        return peers.length > this.#maxPeers ? peers.slice(0, this.#maxPeers) : peers
      } catch (err) {
        throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', `bad compact peers in ut_pex ${key}`, {
          cause: err,
        })
      }
    }
    const withFlags = (peers: PeerAddress[], flagsKey: string): PexPeer[] => {
      const f = d[flagsKey]
      return peers.map((p, i) => ({ ...p, flags: f instanceof Uint8Array ? (f[i] ?? 0) : 0 }))
    }
    const message: PexMessage = {
      added: [...withFlags(list('added', 4), 'added.f'), ...withFlags(list('added6', 6), 'added6.f')],
      dropped: [...list('dropped', 4), ...list('dropped6', 6)],
    }
    this.#wire.emit('pex', message)
  }

  queue(update: PexUpdate): void {
    for (const p of update.added ?? []) {
      const key = formatPeer(p)
      if (this.#dropped.delete(key)) continue // dropped then re-added before we told: nothing changed
      if (this.#advertised.has(key)) continue
      this.#added.set(key, { host: p.host, port: p.port, flags: p.flags ?? 0 })
    }
    for (const p of update.dropped ?? []) {
      const key = formatPeer(p)
      if (this.#added.delete(key)) continue // transient connection: elided
      if (this.#advertised.has(key)) this.#dropped.set(key, { host: p.host, port: p.port })
    }
    this.#schedule()
  }

  #schedule(): void {
    if (this.#timer || (this.#added.size === 0 && this.#dropped.size === 0)) return
    const wait = Math.max(0, this.#lastSent + this.#interval - this.#time.now())
    this.#timer = this.#time.setTimeout(() => {
      this.#timer = undefined
      this.#flush()
    }, wait)
  }

  #flush(): void {
    const w = this.#wire
    if (w.destroyed || !w.peerSupports(this.name)) return
    const limit = this.#sentFirst ? PEX_MAX_PER_MESSAGE : Number.POSITIVE_INFINITY
    const added = take(this.#added, limit)
    const dropped = take(this.#dropped, limit)
    if (added.length === 0 && dropped.length === 0) return
    for (const p of added) this.#advertised.add(formatPeer(p))
    for (const p of dropped) this.#advertised.delete(formatPeer(p))
    const v4 = added.filter((p) => ipFamily(p.host) === 4)
    const v6 = added.filter((p) => ipFamily(p.host) === 6)
    const nonEmpty = (b: Uint8Array) => (b.length > 0 ? b : undefined) // absent keys rather than empty strings
    const msg = {
      added: nonEmpty(encodeCompactPeers(v4, 4)),
      'added.f': nonEmpty(Uint8Array.from(v4.map((p) => p.flags))),
      added6: nonEmpty(encodeCompactPeers(v6, 6)),
      'added6.f': nonEmpty(Uint8Array.from(v6.map((p) => p.flags))),
      dropped: nonEmpty(encodeCompactPeers(dropped, 4)),
      dropped6: nonEmpty(encodeCompactPeers(dropped, 6)),
    }
    w.sendExtended(this.name, encode(msg))
    this.#sentFirst = true
    this.#lastSent = this.#time.now()
    this.#schedule()
  }

  onExtendedHandshake(): void {
    this.#schedule()
  }

  onClose(): void {
    this.#time.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

function take<T>(map: Map<string, T>, n: number): T[] {
  const out: T[] = []
  for (const [key, v] of map) {
    if (out.length >= n) break
    out.push(v)
    map.delete(key)
  }
  return out
}
