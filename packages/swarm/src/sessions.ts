import { equalBytes, toHex } from '@p2p/bytes'
import { formatPeer } from '@p2p/peer-address'
import type { PeerSession } from './peer-session.js'

/** Why {@link Sessions.admit} turned a handshake down, or `ok`. */
export type Admission = 'ok' | 'self' | 'banned' | 'duplicate'

/**
 * The one owner of a torrent's connections and bans: the sessions that are open (added when a
 * connection starts, deleted when it closes), the peers banned for bad data (by address and peer
 * id), and admission of a handshake against both.
 */
export class Sessions implements Iterable<PeerSession> {
  readonly #ourId: Uint8Array
  readonly #peers = new Set<PeerSession>()
  /** Addresses and hex peer ids of banned peers. */
  readonly #banned = new Set<string>()

  /** `ourId`: our peer id (a handshake carrying it is ourselves). */
  constructor(ourId: Uint8Array) {
    this.#ourId = ourId
  }

  /** Open sessions. */
  get size(): number {
    return this.#peers.size
  }

  /** Whether `peer` is open (not closed since). */
  has(peer: PeerSession): boolean {
    return this.#peers.has(peer)
  }

  /** A connection started. */
  add(peer: PeerSession): void {
    this.#peers.add(peer)
  }

  /** A connection closed; false when it was closed already. */
  delete(peer: PeerSession): boolean {
    return this.#peers.delete(peer)
  }

  [Symbol.iterator](): Iterator<PeerSession> {
    return this.#peers.values()
  }

  /** Closes every session. */
  closeAll(): void {
    for (const p of [...this.#peers]) p.close()
  }

  /** Bans `peer` for good: its address and peer id are refused from now on (the caller closes it). */
  ban(peer: PeerSession): void {
    peer.markBanned()
    this.#banned.add(formatPeer(peer.addr))
    const id = peer.peerId
    if (id) this.#banned.add(toHex(id))
  }

  /**
   * A handshake with `peerId` arrived on `peer`: `self` (it is us), `banned`, `duplicate` (a second
   * connection to a peer we are connected to, and this one is the one dropped), else `ok` and `peer`
   * is handshaken. When both sides dialed each other, the connection opened by the lower peer id is
   * kept, so both ends drop the same one: the other connection is closed here when it loses.
   */
  admit(peer: PeerSession, peerId: Uint8Array): Admission {
    if (equalBytes(this.#ourId, peerId)) return 'self'
    if (this.#banned.has(toHex(peerId)) || this.#banned.has(formatPeer(peer.addr))) return 'banned'
    for (const other of this.#peers) {
      const otherId = other.peerId
      if (other !== peer && other.handshaken && otherId && equalBytes(otherId, peerId)) {
        const weDialKeep = Buffer.compare(Buffer.from(this.#ourId), Buffer.from(peerId)) < 0
        if (peer.incoming !== other.incoming && peer.incoming === !weDialKeep) {
          other.close()
          break
        }
        return 'duplicate'
      }
    }
    peer.markHandshaken()
    return 'ok'
  }
}
