import { decodeCompactPeers, encodeCompactPeers, type IpFamily, type PeerAddress } from '@p2p/peer-address'
import { DhtError } from './errors.js'
import { ID_LENGTH } from './node-id.js'

/** A DHT contact: a node id and its UDP address. */
export interface NodeContact {
  /** 20-byte node id. */
  id: Uint8Array
  /** UDP address. */
  address: PeerAddress
}

/** Bytes per compact node: id + 4-byte IPv4 + port (BEP 5). */
export const COMPACT_NODE_V4_LENGTH = 26
/** Bytes per compact IPv6 node: id + 16-byte IPv6 + port (BEP 32). */
export const COMPACT_NODE_V6_LENGTH = 38
/** Most contacts accepted from one `nodes`/`nodes6` string (libtorrent answers with 8). */
export const MAX_COMPACT_NODES = 16

/** Encodes contacts of `family` as compact node info; contacts of the other family are skipped. */
export function encodeCompactNodes(nodes: readonly NodeContact[], family: IpFamily): Uint8Array {
  const size = family === 4 ? COMPACT_NODE_V4_LENGTH : COMPACT_NODE_V6_LENGTH
  const out = new Uint8Array(nodes.length * size)
  let p = 0
  for (const node of nodes) {
    const peer = encodeCompactPeers([node.address], family)
    if (peer.length === 0) continue
    out.set(node.id, p)
    out.set(peer, p + ID_LENGTH)
    p += size
  }
  return out.subarray(0, p)
}

/**
 * Decodes compact node info (26 bytes per IPv4 node, 38 per IPv6 node). Entries with port 0 are
 * dropped.
 *
 * @throws {DhtError} `DHT_INVALID_COMPACT` on a length that is not a multiple of the entry size or
 *   longer than {@link MAX_COMPACT_NODES} entries.
 */
export function decodeCompactNodes(bytes: Uint8Array, family: IpFamily): NodeContact[] {
  const size = family === 4 ? COMPACT_NODE_V4_LENGTH : COMPACT_NODE_V6_LENGTH
  if (bytes.length % size !== 0 || bytes.length > size * MAX_COMPACT_NODES) {
    throw new DhtError(
      'DHT_INVALID_COMPACT',
      `compact IPv${family} nodes must be a multiple of ${size} bytes up to ${MAX_COMPACT_NODES} nodes, got ${bytes.length}`,
    )
  }
  const nodes: NodeContact[] = []
  for (let p = 0; p < bytes.length; p += size) {
    const [address] = decodeCompactPeers(bytes.subarray(p + ID_LENGTH, p + size), family)
    if (address) nodes.push({ id: bytes.slice(p, p + ID_LENGTH), address })
  }
  return nodes
}

/** `host:port` key of an address (map keys). */
export function addressKey(address: PeerAddress): string {
  return `${address.host}|${address.port}`
}
