import { bytesToIp, ipToBytes } from '@p2p/peer-address'
import { NatError } from './errors.js'
import type { Transport } from './transport.js'

const VERSION = 2
const OP_MAP = 1
const REPLY_BIT = 0x80
const HEADER_LENGTH = 24
const MAP_LENGTH = 36
/** PCP MAP nonce length (RFC 6887 11.1). */
export const PCP_NONCE_LENGTH = 12
const IANA_PROTOCOL = { tcp: 6, udp: 17 } as const

/** Result codes of RFC 6887 7.4. */
export const PCP_RESULT = [
  'SUCCESS',
  'UNSUPP_VERSION',
  'NOT_AUTHORIZED',
  'MALFORMED_REQUEST',
  'UNSUPP_OPCODE',
  'UNSUPP_OPTION',
  'MALFORMED_OPTION',
  'NETWORK_FAILURE',
  'NO_RESOURCES',
  'UNSUPP_PROTOCOL',
  'USER_EX_QUOTA',
  'CANNOT_PROVIDE_EXTERNAL',
  'ADDRESS_MISMATCH',
  'EXCESSIVE_REMOTE_PEERS',
] as const

/** A PCP MAP request. */
export interface PcpMapRequest {
  /** 12 random bytes identifying the mapping; renewals and deletion reuse them (RFC 6887 11.1). */
  nonce: Uint8Array
  /** Transport protocol. */
  transport: Transport
  /** Our address as the server sees it (PCP client IP); IPv4 is sent IPv4-mapped. */
  clientAddress: string
  /** Internal port. */
  internalPort: number
  /** Suggested external port (0 = any). */
  externalPort: number
  /** Suggested external address; default all zeros (any). */
  externalAddress?: string
  /** Requested lifetime in seconds; 0 deletes. */
  lifetime: number
}

/** A PCP MAP reply. */
export interface PcpMapReply {
  /** Seconds since the server's state was (re)initialised (RFC 6887 8.5). */
  epoch: number
  /** Granted lifetime in seconds. */
  lifetime: number
  /** Nonce echoed from the request. */
  nonce: Uint8Array
  /** Internal port echoed. */
  internalPort: number
  /** Assigned external port. */
  externalPort: number
  /** Assigned external address (IPv4 unmapped). */
  externalAddress: string
}

function ip16(ip: string): Uint8Array {
  const bytes = ipToBytes(ip)
  if (bytes.length === 16) return bytes
  const out = new Uint8Array(16)
  out[10] = 0xff
  out[11] = 0xff
  out.set(bytes, 12)
  return out
}

function fromIp16(bytes: Uint8Array): string {
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  return bytesToIp(mapped ? bytes.subarray(12) : bytes)
}

/**
 * A 60-byte PCP MAP request (RFC 6887 7.1 header + 11.1 MAP opcode).
 *
 * @example
 * ```ts
 * encodePcpMapRequest({ nonce, transport: 'tcp', clientAddress: '192.168.1.2', internalPort: 6881, externalPort: 6881, lifetime: 7200 })
 * ```
 */
export function encodePcpMapRequest(req: PcpMapRequest): Uint8Array {
  if (req.nonce.length !== PCP_NONCE_LENGTH)
    throw new NatError('NAT_INVALID_ARGUMENT', 'PCP nonce must be 12 bytes')
  const out = new Uint8Array(HEADER_LENGTH + MAP_LENGTH)
  const view = new DataView(out.buffer)
  out[0] = VERSION
  out[1] = OP_MAP
  view.setUint32(4, req.lifetime)
  out.set(ip16(req.clientAddress), 8)
  out.set(req.nonce, 24)
  out[36] = IANA_PROTOCOL[req.transport]
  view.setUint16(40, req.internalPort)
  view.setUint16(42, req.externalPort)
  out.set(req.externalAddress ? ip16(req.externalAddress) : new Uint8Array(16), 44)
  return out
}

/**
 * Parses a PCP MAP reply and checks it answers `req` (opcode, nonce, protocol, internal port).
 *
 * @throws {NatError} `NAT_BAD_REPLY` for a malformed or unrelated reply; `NAT_REFUSED` (with
 * `detail` = result code) for a non-zero result.
 */
export function decodePcpMapReply(reply: Uint8Array, req: PcpMapRequest): PcpMapReply {
  if (reply.length < HEADER_LENGTH) throw new NatError('NAT_BAD_REPLY', `PCP reply of ${reply.length} bytes`)
  if (reply.length > 1100 || reply.length % 4 !== 0) {
    throw new NatError('NAT_BAD_REPLY', `PCP reply of ${reply.length} bytes`)
  }
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength)
  if (reply[0] !== VERSION) throw new NatError('NAT_BAD_REPLY', `PCP version ${reply[0]}`)
  if (reply[1] !== (REPLY_BIT | OP_MAP)) throw new NatError('NAT_BAD_REPLY', `PCP opcode ${reply[1]}`)
  const result = reply[3]!
  const lifetime = view.getUint32(4)
  const epoch = view.getUint32(8)
  // An error reply may carry only the header when the request could not be parsed (RFC 6887 7.2).
  if (result !== 0)
    throw new NatError('NAT_REFUSED', `PCP: ${PCP_RESULT[result] ?? `result ${result}`}`, result)
  if (reply.length < HEADER_LENGTH + MAP_LENGTH)
    throw new NatError('NAT_BAD_REPLY', 'PCP MAP reply too short')
  const nonce = reply.slice(24, 36)
  if (!nonce.every((b, i) => b === req.nonce[i]))
    throw new NatError('NAT_BAD_REPLY', 'PCP reply nonce mismatch')
  if (reply[36] !== IANA_PROTOCOL[req.transport] || view.getUint16(40) !== req.internalPort) {
    throw new NatError('NAT_BAD_REPLY', 'PCP reply is for another mapping')
  }
  return {
    epoch,
    lifetime,
    nonce,
    internalPort: view.getUint16(40),
    externalPort: view.getUint16(42),
    externalAddress: fromIp16(reply.subarray(44, 60)),
  }
}
