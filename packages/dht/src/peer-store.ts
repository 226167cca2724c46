import type { IpFamily, PeerAddress } from '@p2p/peer-address'
import { ipFamily } from '@p2p/peer-address'
import { addressKey } from './compact-nodes.js'
import { idHex } from './node-id.js'

/** Announced peers expire after 30 minutes without a new announce (clients re-announce every 15-30). */
export const PEER_TTL_MS = 30 * 60_000
/** Peers kept per info hash (libtorrent keeps 100). */
export const MAX_PEERS_PER_HASH = 100
/** Info hashes kept (the least recently announced is dropped first). */
export const MAX_INFO_HASHES = 5000

interface Swarm {
  infoHash: Uint8Array
  peers: Map<string, { address: PeerAddress; expires: number }>
}

/** Peers announced to us (`announce_peer`), bounded per info hash and in total, with expiry. */
export class PeerStore {
  readonly #swarms = new Map<string, Swarm>()

  /** Number of info hashes stored. */
  get size(): number {
    return this.#swarms.size
  }

  /** Records `peer` for `infoHash` until `now + PEER_TTL_MS`. */
  add(infoHash: Uint8Array, peer: PeerAddress, now: number): void {
    const key = idHex(infoHash)
    let swarm = this.#swarms.get(key)
    if (swarm) this.#swarms.delete(key)
    else {
      swarm = { infoHash: new Uint8Array(infoHash), peers: new Map() }
      if (this.#swarms.size >= MAX_INFO_HASHES) this.#swarms.delete(this.#swarms.keys().next().value!)
    }
    this.#swarms.set(key, swarm)
    const pk = addressKey(peer)
    swarm.peers.delete(pk)
    if (swarm.peers.size >= MAX_PEERS_PER_HASH) swarm.peers.delete(swarm.peers.keys().next().value!)
    swarm.peers.set(pk, { address: peer, expires: now + PEER_TTL_MS })
  }

  /** Up to `max` live peers of `family` for `infoHash`, in random order. */
  get(infoHash: Uint8Array, family: IpFamily, max: number, now: number): PeerAddress[] {
    const swarm = this.#swarms.get(idHex(infoHash))
    if (!swarm) return []
    const out: PeerAddress[] = []
    for (const p of swarm.peers.values()) {
      if (p.expires > now && ipFamily(p.address.host) === family) out.push(p.address)
    }
    return shuffle(out).slice(0, max)
  }

  /** The info hashes held (BEP 51 samples), in random order, at most `max`. */
  sample(max: number): Uint8Array[] {
    return shuffle([...this.#swarms.values()].map((s) => s.infoHash)).slice(0, max)
  }

  /** Drops expired peers and empty swarms. */
  expire(now: number): void {
    for (const [key, swarm] of this.#swarms) {
      for (const [pk, p] of swarm.peers) if (p.expires <= now) swarm.peers.delete(pk)
      if (swarm.peers.size === 0) this.#swarms.delete(key)
    }
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
