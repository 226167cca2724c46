/**
 * The BitTorrent peer wire protocol over any duplex byte stream: handshake with reserved bits, core
 * messages (BEP 3), fast extension (BEP 6), extension protocol (BEP 10) with ut_metadata (BEP 9),
 * ut_pex (BEP 11) and lt_donthave (BEP 54), and v2 hash messages (BEP 52).
 *
 * @example
 * ```ts
 * import { connect } from 'node:net'
 * import { Wire } from '@p2p/peer-wire'
 * const wire = new Wire(connect(6881, '127.0.0.1'), { infoHash, peerId })
 * wire.on('handshake', () => wire.interested())
 * wire.handshake()
 * const info = await wire.fetchMetadata()
 * ```
 * @packageDocumentation
 */
export { allowedFastSet } from './allowed-fast.js'
export { Bitfield } from './bitfield.js'
export type { BlockCallback } from './block-requests.js'
export { systemClock, type WireClock } from './clock.js'
export {
  BLOCK_LENGTH,
  HANDSHAKE_LENGTH,
  METADATA_PIECE_LENGTH,
  MessageId,
  PROTOCOL,
  ReservedBit,
} from './constants.js'
export { PeerWireError, type PeerWireErrorCode } from './errors.js'
export {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  encodeExtendedHandshake,
} from './extended-handshake.js'
export type { ExtensionContext, WireExtension } from './extension.js'
export { FrameParser } from './frame-parser.js'
export { checkHandshakePrefix, decodeHandshake, encodeHandshake, type Handshake } from './handshake.js'
export * from './messages.js'
export { WIRE_DEFAULTS, type WireOptions } from './options.js'
export { PEX_MAX_PER_MESSAGE, PexFlag, type PexMessage, type PexPeer, type PexUpdate } from './pex-message.js'
export { PeerProtocol, type WireEventSink, type WireTransport } from './protocol.js'
export { RATE_WINDOW_MS, RATE_WINDOW_SECONDS, RateMeter, type RateMeterOptions } from './rate.js'
export {
  decodeHolepunch,
  encodeHolepunch,
  HolepunchError,
  type HolepunchMessage,
  type HolepunchTarget,
  HolepunchType,
  rendezvousVerdict,
  UtHolepunch,
  type UtHolepunchEvents,
} from './ut-holepunch.js'
export { Wire } from './wire.js'
export type { HashesMessage, PieceMessage, WireEvents } from './wire-events.js'
