import type { Encodable } from '@p2p/bencode'
import type { PeerWireError } from './errors.js'
import type { ExtendedHandshake } from './extended-handshake.js'

/**
 * An extension protocol message handler (BEP 10), registered on a wire with {@link Wire.use} before the
 * extended handshake is sent. The wire gives it a local message id and routes the peer's messages for
 * that id to {@link WireExtension.onMessage}.
 *
 * @example
 * ```ts
 * wire.use({
 *   name: 'x_hello',
 *   onMessage: (payload) => console.log('hello', payload),
 * })
 * wire.on('extended-handshake', () => wire.sendExtended('x_hello', new Uint8Array([1])))
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
