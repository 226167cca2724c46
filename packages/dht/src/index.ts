/**
 * The Mainline DHT: KRPC (BEP 5), secure node ids (BEP 42), read-only nodes (BEP 43), items
 * (BEP 44), infohash sampling (BEP 51) and IPv6 (BEP 32), as a sans-I/O core with UDP and
 * in-memory transports.
 *
 * @example
 * ```ts
 * import { createDhtNode } from '@p2p/dht'
 * const node = await createDhtNode({ host: '127.0.0.1', port: 6881, bootstrap: [{ host: '127.0.0.2', port: 6881 }] })
 * await node.start()
 * await node.announce(infoHash, 6881)
 * const { peers } = await node.getPeers(infoHash)
 * ```
 * @packageDocumentation
 */

/** The virtual clock and seeded PRNG of simulations live in `@p2p/deterministic`. */
export { mulberry32, VirtualClock } from '@p2p/deterministic'
export { isLocalAddress, isUnusableSource } from './address-class.js'
export {
  COMPACT_NODE_V4_LENGTH,
  COMPACT_NODE_V6_LENGTH,
  decodeCompactNodes,
  encodeCompactNodes,
  MAX_COMPACT_NODES,
  type NodeContact,
} from './compact-nodes.js'
export {
  BUCKET_REFRESH_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
  DhtCore,
  type DhtCoreOptions,
  type DhtStats,
  EXTERNAL_ADDRESS_VOTES,
  type GetPeersResult,
  MAX_ADDING,
  type QueryAnswer,
  type SavedNode,
  type SavedTable,
} from './dht-core.js'
export {
  type CreateDhtNodeOptions,
  createDhtNode,
  DhtNode,
  type DhtNodeOptions,
  TICK_MS,
} from './dht-node.js'
export { DhtError, type DhtErrorCode, KrpcErrorCode } from './errors.js'
export {
  type ItemKeyPair,
  immutableTarget,
  itemKeyPair,
  MAX_ITEM_VALUE_BYTES,
  MAX_SALT_BYTES,
  mutableTarget,
  signedBuffer,
  signItem,
  verifyItem,
} from './item.js'
export {
  type FoundItem,
  getItem,
  type ItemLookup,
  type MutablePutOptions,
  type MutableRef,
  type PutResult,
  putImmutable,
  putMutable,
} from './item-operations.js'
export {
  encodeError,
  encodeQuery,
  encodeResponse,
  type KrpcErrorMessage,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponse,
  MAX_MESSAGE_BYTES,
  parseMessage,
} from './krpc.js'
export { ALPHA, Lookup, type LookupResponder, type LookupStats } from './lookup.js'
export { MemoryNetwork, type MemoryNetworkOptions } from './memory-network.js'
export { compareDistance, ID_LENGTH, idFromHex, idHex } from './node-id.js'
export { MAX_INFO_HASHES, MAX_PEERS_PER_HASH, PEER_TTL_MS, PeerStore } from './peer-store.js'
export { MAX_PACKET_BYTES } from './responder.js'
export { type HeardResult, K, type RoutingNode, RoutingTable } from './routing-table.js'
export { isSecureNodeId, nodeIdAcceptable, secureNodeId } from './secure-id.js'
export {
  type LookupRound,
  type SimulationOptions,
  type SimulationReport,
  simulateNetwork,
  until,
} from './simulation.js'
export { type DhtClock, type DhtTransport, systemClock } from './transport.js'
export { createUdpTransport, type UdpTransportOptions } from './udp-transport.js'
