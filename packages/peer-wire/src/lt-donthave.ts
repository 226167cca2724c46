import { readU32 } from './bytes.js'
import { PeerWireError } from './errors.js'
import type { ExtensionContext, WireExtension } from './extension.js'

/** The lt_donthave extension (BEP 54): a peer reneges on a piece it announced. */
export class LtDonthave implements WireExtension {
  readonly name = 'lt_donthave'
  readonly #wire: ExtensionContext

  constructor(wire: ExtensionContext) {
    this.#wire = wire
  }

  onMessage(payload: Uint8Array): void {
    if (payload.length !== 4) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_EXTENDED',
        `lt_donthave payload of ${payload.length} bytes (want 4)`,
      )
    }
    const index = readU32(payload, 0)
    const w = this.#wire
    if (w.pieceCount !== undefined && index >= w.pieceCount) {
      throw new PeerWireError('PEER_WIRE_BAD_BITFIELD', `lt_donthave for piece ${index} of ${w.pieceCount}`)
    }
    w.markPieceLost(index)
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
