/**
 * Peer addresses for BitTorrent: IPv4/IPv6 parsing, compact peer lists (BEP 23, BEP 7), peer ids and
 * the canonical peer priority of BEP 40.
 * @packageDocumentation
 */
export {
  assertPort,
  COMPACT_V4_LENGTH,
  COMPACT_V6_LENGTH,
  decodeCompactPeers,
  encodeCompactPeers,
  formatPeer,
  type PeerAddress,
  parsePeer,
} from './compact.js'
export { PeerAddressError, type PeerAddressErrorCode } from './errors.js'
export { bytesToIp, type IpFamily, ipFamily, ipToBytes, normalizeIp } from './ip.js'
export {
  DEFAULT_PEER_ID_PREFIX,
  generatePeerId,
  PEER_ID_LENGTH,
  type PeerIdInfo,
  parsePeerId,
} from './peer-id.js'
export { crc32c, peerPriority } from './priority.js'
