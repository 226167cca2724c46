import { PeerWireError } from './errors.js'
import type { WireExtension } from './extension.js'
import type { Wire } from './wire.js'

/** The lt_donthave extension (BEP 54): a peer reneges on a piece it announced. */
export class LtDonthave implements WireExtension {
  readonly name = 'lt_donthave'
  readonly #wire: Wire

  constructor(wire: Wire) {
    this.#wire = wire
  }

  onMessage(payload: Uint8Array): void {
    if (payload.length !== 4) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_EXTENDED',
        `lt_donthave payload of ${payload.length} bytes (want 4)`,
      )
    }
    const index = ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0
    const w = this.#wire
    if (w.pieceCount !== undefined && index >= w.pieceCount) {
      throw new PeerWireError('PEER_WIRE_BAD_BITFIELD', `lt_donthave for piece ${index} of ${w.pieceCount}`)
    }
    w.peerPieces.set(index, false)
    w.emit('donthave', index)
  }

  /** Sends a DontHave for `index`; false when the peer does not support it. */
  send(index: number): boolean {
    if (!this.#wire.peerSupports(this.name)) return false
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, index)
    this.#wire.sendExtended(this.name, b)
    return true
  }
}
