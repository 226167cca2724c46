/** Stable error codes of `@p2p/nat`. */
export type NatErrorCode =
  /** No gateway answered within the time allowed (SSDP, NAT-PMP or PCP). */
  | 'NAT_TIMEOUT'
  /** No default gateway could be found (no `/proc/net/route` entry and no `gateway` option). */
  | 'NAT_NO_GATEWAY'
  /** A reply that breaks its protocol: wrong length, version, opcode, nonce or field. */
  | 'NAT_BAD_REPLY'
  /** XML that is too large, too deep, malformed, or uses a DOCTYPE or an unknown entity. */
  | 'NAT_BAD_XML'
  /** The device description has no WANIPConnection or WANPPPConnection service. */
  | 'NAT_NO_IGD'
  /** The gateway refused the request (its result code or UPnP error code is in the message and `detail`). */
  | 'NAT_REFUSED'
  /** The gateway reported an external address that cannot be one (unspecified, loopback, multicast...). */
  | 'NAT_BAD_EXTERNAL_ADDRESS'
  /** An HTTP request to the gateway failed (status, size cap, connection error). */
  | 'NAT_HTTP'
  /** Every method (PCP, NAT-PMP, UPnP) failed. */
  | 'NAT_UNAVAILABLE'
  /** The mapper or client was closed, or the signal aborted. */
  | 'NAT_CLOSED'
  /** A local service discovery (BEP 14) datagram that is not a well-formed `BT-SEARCH` announce. */
  | 'LSD_BAD_ANNOUNCE'
  /** A bad argument (port, lifetime, option). */
  | 'NAT_INVALID_ARGUMENT'

/** The error class of `@p2p/nat`, with a stable {@link NatErrorCode}. */
export class NatError extends Error {
  /** Stable machine-readable error code. */
  readonly code: NatErrorCode
  /** The gateway's own result or error code, when it gave one (NAT-PMP/PCP result, UPnP errorCode). */
  readonly detail: number | undefined

  constructor(code: NatErrorCode, message: string, detail?: number) {
    super(message)
    this.name = 'NatError'
    this.code = code
    this.detail = detail
  }
}
