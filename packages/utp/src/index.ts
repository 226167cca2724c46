/**
 * uTP, the uTorrent transport protocol (BEP 29), with LEDBAT congestion control: a sans-I/O connection
 * core, and a `node:dgram` shell that multiplexes connections on one UDP socket as Node `Duplex` streams.
 * @packageDocumentation
 */

/** The seeded PRNG (mulberry32, from `@p2p/deterministic`) every fault pattern replays from. */
export { mulberry32 as seededRandom } from '@p2p/deterministic'
export {
  DEFAULT_PACKET_SIZE,
  DEFAULT_RECEIVE_WINDOW,
  DEFAULT_SEND_BUFFER,
  DUP_ACK_LIMIT,
  IDLE_TIMEOUT_MS,
  KEEPALIVE_MS,
  LINGER_MS,
  MAX_DATAGRAM_READ,
  MAX_PACKETS_IN_FLIGHT,
  MAX_TIMEOUTS,
  SYN_RESENDS,
  UtpConnection,
  type UtpConnectionHandlers,
  type UtpConnectionOptions,
  type UtpConnectionState,
  type UtpConnectionStats,
} from './connection.js'
export { DelayHistory } from './delay-history.js'
export { UtpError, type UtpErrorCode } from './errors.js'
export {
  CWND_REDUCE_INTERVAL_MS,
  Ledbat,
  LOSS_MULTIPLIER,
  MAX_CWND_INCREASE_BYTES_PER_RTT,
  TARGET_DELAY_US,
} from './ledbat.js'
export {
  decodePacket,
  EXTENSION_MAX_DATAGRAM,
  EXTENSION_PADDING,
  EXTENSION_SACK,
  encodePacket,
  HEADER_LENGTH,
  MAX_DATAGRAM_MAGIC,
  type PacketExtensions,
  type PacketHeader,
  PacketType,
  type PacketTypeValue,
  padPacket,
  stampPacket,
  UTP_VERSION,
  type UtpPacket,
} from './packet.js'
export { INITIAL_RTO_MS, MAX_RTO_MS, MIN_RTO_MS, RttEstimator } from './rtt.js'
export { SEQ_MASK, seqAdd, seqDistance, seqLess, stampLess } from './seq.js'
export {
  pumpSimLink,
  type SimEnd,
  SimLink,
  type SimLinkFaults,
} from './sim-link.js'
export {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_RESET_RATE,
  ETHERNET_PATH_MTU,
  LOOPBACK_PATH_MTU,
  UtpSocket,
  type UtpSocketEvents,
  type UtpSocketOptions,
  type UtpSocketStats,
} from './socket.js'
export { type UtpEndpoints, UtpStream } from './stream.js'
