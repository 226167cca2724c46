import { NatError } from './errors.js'
import type { Transport } from './transport.js'

/** The UDP port NAT-PMP and PCP servers listen on (RFC 6886 3.1, RFC 6887 19.1). */
export const NAT_PMP_PORT = 5351
const VERSION = 0
const OP_EXTERNAL_ADDRESS = 0
const OP = { udp: 1, tcp: 2 } as const
const REPLY_BIT = 128
const ADDRESS_REPLY_LENGTH = 12
const MAP_REPLY_LENGTH = 16

/** Result codes of RFC 6886 3.5. */
export const NAT_PMP_RESULT = [
  'success',
  'unsupported version',
  'not authorized/refused',
  'network failure',
  'out of resources',
  'unsupported opcode',
] as const

/** A NAT-PMP reply's common part. */
export interface NatPmpReplyHeader {
  /** Seconds since the gateway's port mapping table was (re)initialised (RFC 6886 3.6). */
  epoch: number
}

/** Reply to the external address request. */
export interface NatPmpAddressReply extends NatPmpReplyHeader {
  /** The gateway's external IPv4 address. */
  externalAddress: string
}

/** Reply to a mapping request. */
export interface NatPmpMapReply extends NatPmpReplyHeader {
  /** Internal port the mapping is for. */
  internalPort: number
  /** External port granted (0 after a deletion). */
  externalPort: number
  /** Lease in seconds. */
  lifetime: number
}

/** The 2-byte external address request (RFC 6886 3.2). */
export function encodeNatPmpAddressRequest(): Uint8Array {
  return Uint8Array.of(VERSION, OP_EXTERNAL_ADDRESS)
}

/**
 * A 12-byte mapping request (RFC 6886 3.3). Lifetime 0 with external port 0 deletes the mapping.
 *
 * @example
 * ```ts
 * encodeNatPmpMapRequest('tcp', 6881, 6881, 7200)
 * ```
 */
export function encodeNatPmpMapRequest(
  transport: Transport,
  internalPort: number,
  externalPort: number,
  lifetime: number,
): Uint8Array {
  const out = new Uint8Array(12)
  const view = new DataView(out.buffer)
  out[0] = VERSION
  out[1] = OP[transport]
  view.setUint16(4, internalPort)
  view.setUint16(6, externalPort)
  view.setUint32(8, lifetime)
  return out
}

function header(reply: Uint8Array, opcode: number, length: number): DataView {
  if (reply.length < length) throw new NatError('NAT_BAD_REPLY', `NAT-PMP reply of ${reply.length} bytes`)
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength)
  if (reply[0] !== VERSION || reply[1] !== REPLY_BIT + opcode) {
    throw new NatError('NAT_BAD_REPLY', `NAT-PMP reply version ${reply[0]} opcode ${reply[1]}`)
  }
  const result = view.getUint16(2)
  if (result !== 0) {
    throw new NatError('NAT_REFUSED', `NAT-PMP: ${NAT_PMP_RESULT[result] ?? `result ${result}`}`, result)
  }
  return view
}

/**
 * Parses the reply to the external address request.
 *
 * @throws {NatError} `NAT_BAD_REPLY` for a malformed reply, `NAT_REFUSED` for a non-zero result.
 */
export function decodeNatPmpAddressReply(reply: Uint8Array): NatPmpAddressReply {
  const view = header(reply, OP_EXTERNAL_ADDRESS, ADDRESS_REPLY_LENGTH)
  return { epoch: view.getUint32(4), externalAddress: [...reply.subarray(8, 12)].join('.') }
}

/**
 * Parses the reply to a mapping request for `transport`.
 *
 * @throws {NatError} `NAT_BAD_REPLY` for a malformed reply, `NAT_REFUSED` for a non-zero result.
 */
export function decodeNatPmpMapReply(reply: Uint8Array, transport: Transport): NatPmpMapReply {
  const view = header(reply, OP[transport], MAP_REPLY_LENGTH)
  return {
    epoch: view.getUint32(4),
    internalPort: view.getUint16(8),
    externalPort: view.getUint16(10),
    lifetime: view.getUint32(12),
  }
}
