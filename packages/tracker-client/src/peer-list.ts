import {
  COMPACT_V4_LENGTH,
  COMPACT_V6_LENGTH,
  decodeCompactPeers,
  formatPeer,
  type IpFamily,
  ipFamily,
  normalizeIp,
  type PeerAddress,
} from '@p2p/peer-address'

/** A host name a dictionary-form peer may carry instead of an IP (RFC 1034 letters, digits, dots, hyphens). */
const HOST_NAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/

/**
 * Collects peers from several sources of one response, dropping duplicates and stopping at `max`, so a
 * hostile tracker cannot make us hold an unbounded list.
 */
export class PeerCollector {
  readonly peers: PeerAddress[] = []
  readonly #seen = new Set<string>()
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** Whether no more peers are accepted. */
  get full(): boolean {
    return this.peers.length >= this.#max
  }

  /** Adds one peer unless it is a duplicate or the list is full. */
  add(peer: PeerAddress): void {
    if (this.full) return
    const id = formatPeer(peer)
    if (this.#seen.has(id)) return
    this.#seen.add(id)
    this.peers.push(peer)
  }

  /**
   * Adds compact peers (BEP 23 for IPv4, BEP 7 for IPv6). A trailing partial entry, as a truncated
   * response leaves, is ignored; entries beyond the bound are never decoded.
   */
  addCompact(bytes: Uint8Array, family: IpFamily): void {
    const size = family === 4 ? COMPACT_V4_LENGTH : COMPACT_V6_LENGTH
    const room = Math.max(0, this.#max - this.peers.length)
    // Duplicates may be skipped, so decode a little more than the room left, still bounded.
    const entries = Math.min(Math.floor(bytes.length / size), room * 2 + 16)
    for (const peer of decodeCompactPeers(bytes.subarray(0, entries * size), family)) this.add(peer)
  }

  /** Adds a BEP 3 dictionary-form peer (`ip` text and `port`); anything malformed is skipped. */
  addDict(ip: string | undefined, port: unknown): void {
    if (ip === undefined || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      return
    }
    if (ipFamily(ip) !== 0) this.add({ host: normalizeIp(ip), port })
    else if (HOST_NAME.test(ip)) this.add({ host: ip.toLowerCase(), port })
  }
}
