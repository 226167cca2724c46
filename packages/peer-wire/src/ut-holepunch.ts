import { EventEmitter } from 'node:events'
import { bytesToIp, ipToBytes, type PeerAddress } from '@p2p/peer-address'
import { PeerWireError } from './errors.js'
import type { ExtensionContext, WireExtension } from './extension.js'

/** Message types of ut_holepunch (BEP 55). */
export const HolepunchType = {
  /** To a relay: send `connect` to both us and the target. */
  rendezvous: 0,
  /** From a relay: open a uTP connection to this endpoint now. */
  connect: 1,
  /** From a relay: the rendezvous cannot be done (see {@link HolepunchError}). */
  error: 2,
} as const

/** Error codes of a ut_holepunch `error` message (BEP 55). */
export const HolepunchError = {
  /** The target endpoint is invalid. */
  noSuchPeer: 1,
  /** The relay is not connected to the target. */
  notConnected: 2,
  /** The target does not support ut_holepunch. */
  noSupport: 3,
  /** The target is the relay itself. */
  noSelf: 4,
} as const

/** A decoded ut_holepunch message. */
export interface HolepunchMessage {
  type: (typeof HolepunchType)[keyof typeof HolepunchType]
  addr: PeerAddress
  /** 0 except in `error` messages. */
  error: number
}

/**
 * Encodes a ut_holepunch payload: type, address type (0 IPv4, 1 IPv6), address, port, error code.
 * @throws {PeerAddressError} on an invalid IP.
 */
export function encodeHolepunch(m: HolepunchMessage): Uint8Array {
  const ip = ipToBytes(m.addr.host)
  const out = new Uint8Array(2 + ip.length + 6)
  const view = new DataView(out.buffer)
  out[0] = m.type
  out[1] = ip.length === 4 ? 0 : 1
  out.set(ip, 2)
  view.setUint16(2 + ip.length, m.addr.port)
  view.setUint32(4 + ip.length, m.error >>> 0)
  return out
}

/**
 * Decodes a ut_holepunch payload.
 * @throws {PeerWireError} `PEER_WIRE_BAD_EXTENDED` on a bad type, address type or length.
 */
export function decodeHolepunch(payload: Uint8Array): HolepunchMessage {
  const bad = (why: string) => new PeerWireError('PEER_WIRE_BAD_EXTENDED', `ut_holepunch: ${why}`)
  if (payload.length < 2) throw bad(`expected >= 2 bytes, got ${payload.length}`)
  const type = payload[0]!
  if (type > HolepunchType.error) throw bad(`unknown message type ${type}`)
  const addrType = payload[1]!
  if (addrType > 1) throw bad(`unknown address type ${addrType}`)
  const ipLength = addrType === 0 ? 4 : 16
  if (payload.length !== 2 + ipLength + 6) {
    throw bad(`expected ${2 + ipLength + 6} bytes for address type ${addrType}, got ${payload.length}`)
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  return {
    type: type as HolepunchMessage['type'],
    addr: { host: bytesToIp(payload.subarray(2, 2 + ipLength)), port: view.getUint16(2 + ipLength) },
    error: view.getUint32(4 + ipLength),
  }
}

/** What a relay knows of a rendezvous target: whether it is connected and supports ut_holepunch. */
export interface HolepunchTarget {
  connected: boolean
  supportsHolepunch: boolean
}

/**
 * The relay's decision for a `rendezvous` (BEP 55): the error code to answer with, or 0 to send
 * `connect` to both peers.
 */
export function rendezvousVerdict(
  target: HolepunchTarget | undefined,
  isSelf: boolean,
  port: number,
): number {
  if (port === 0) return HolepunchError.noSuchPeer
  if (isSelf) return HolepunchError.noSelf
  if (!target?.connected) return HolepunchError.notConnected
  if (!target.supportsHolepunch) return HolepunchError.noSupport
  return 0
}

/** Events of {@link UtHolepunch}: one per message type. */
export type UtHolepunchEvents = {
  rendezvous: [addr: PeerAddress]
  connect: [addr: PeerAddress]
  error: [addr: PeerAddress, code: number]
}

/**
 * The ut_holepunch extension (BEP 55), opt-in: `wire.use(new UtHolepunch(wire))` before the extended
 * handshake. It decodes messages into events and sends them; the relay policy and the uTP connects are
 * the swarm's. Messages from a peer that did not announce the extension are ignored, as the BEP asks.
 */
export class UtHolepunch extends EventEmitter<UtHolepunchEvents> implements WireExtension {
  readonly name = 'ut_holepunch'
  readonly #wire: Pick<ExtensionContext, 'peerSupports' | 'sendExtended'>

  constructor(wire: Pick<ExtensionContext, 'peerSupports' | 'sendExtended'>) {
    super()
    this.#wire = wire
  }

  onMessage(payload: Uint8Array): void {
    if (!this.#wire.peerSupports(this.name)) return
    const m = decodeHolepunch(payload)
    if (m.type === HolepunchType.rendezvous) this.emit('rendezvous', m.addr)
    else if (m.type === HolepunchType.connect) this.emit('connect', m.addr)
    else this.emit('error', m.addr, m.error)
  }

  /** Asks this peer (a relay) to introduce us to `target`; false when it lacks the extension. */
  rendezvous(target: PeerAddress): boolean {
    return this.#send({ type: HolepunchType.rendezvous, addr: target, error: 0 })
  }

  /** Tells this peer to open a uTP connection to `addr` (we relay). */
  connect(addr: PeerAddress): boolean {
    return this.#send({ type: HolepunchType.connect, addr, error: 0 })
  }

  /** Answers this peer's rendezvous for `target` with an error code of {@link HolepunchError}. */
  error(target: PeerAddress, code: number): boolean {
    return this.#send({ type: HolepunchType.error, addr: target, error: code })
  }

  #send(m: HolepunchMessage): boolean {
    if (!this.#wire.peerSupports(this.name)) return false
    this.#wire.sendExtended(this.name, encodeHolepunch(m))
    return true
  }
}
