import type { Encodable } from '@p2p/bencode'
import type { WireClock } from './clock.js'
import type { PeerWireError } from './errors.js'
import type { ExtendedHandshake } from './extended-handshake.js'
import type { Handshake } from './handshake.js'
import type { WireEvents } from './wire-events.js'

/**
 * What an extension may see and do on its connection: the narrow view a {@link PeerProtocol} gives
 * each extension instead of the whole wire. Pass a factory to {@link PeerProtocol.use} to get it.
 */
export interface ExtensionContext {
  /** The connection's 20-byte info hash, once known. */
  readonly infoHash: Uint8Array | undefined
  /** Number of pieces, once known. */
  readonly pieceCount: number | undefined
  /** Whether the connection is closed. */
  readonly destroyed: boolean
  /** Whether our write buffer is full (answer optional requests later, or refuse them). */
  readonly congested: boolean
  /** Whether both sides offered the extension protocol (BEP 10). */
  readonly extended: boolean
  /** The peer's handshake once received. */
  readonly peerHandshake: Handshake | undefined
  /** The peer's latest extended handshake. */
  readonly peerExtended: ExtendedHandshake | undefined
  /** The connection's clock (virtual in a simulator). */
  readonly clock: WireClock
  /** Whether the peer's extended handshake names extension `name`. */
  peerSupports(name: string): boolean
  /** Sends a message of extension `name` (throws `PEER_WIRE_NOT_SUPPORTED` when the peer lacks it). */
  sendExtended(name: string, payload: Uint8Array): void
  /** Emits one of the connection's events. */
  emit<E extends keyof WireEvents>(event: E, ...args: Parameters<WireEvents[E]>): void
  /** Records that the peer no longer has piece `index` (BEP 54). */
  markPieceLost(index: number): void
}

/**
 * An extension protocol message handler (BEP 10), registered on a wire with {@link PeerProtocol.use}
 * before the extended handshake is sent. The wire gives it a local message id and routes the peer's
 * messages for that id to {@link WireExtension.onMessage}.
 *
 * @example
 * ```ts
 * const hello = wire.use((ctx) => ({
 *   name: 'x_hello',
 *   onMessage: (payload) => console.log('hello', payload),
 *   greet: () => ctx.sendExtended('x_hello', new Uint8Array([1])),
 * }))
 * wire.on('extended-handshake', () => hello.greet())
 * ```
 */
export interface WireExtension {
  /** The name in the `m` dictionary, e.g. `ut_metadata`. */
  readonly name: string
  /** Extra keys for our extended handshake (e.g. `metadata_size`). */
  handshakeFields?(): Record<string, Encodable | undefined>
  /** Called with each extended handshake of the peer. */
  onExtendedHandshake?(handshake: ExtendedHandshake): void
  /** Called with the payload (after the extended id byte) of each message for this extension. */
  onMessage(payload: Uint8Array): void
  /** Called once when the wire closes. */
  onClose?(err: PeerWireError | undefined): void
}
