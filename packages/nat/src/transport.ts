/** A transport protocol a mapping is for. */
export type Transport = 'tcp' | 'udp'

/** A mapping a gateway granted. */
export interface GrantedMapping {
  /** The external port the gateway opened (may differ from the one asked for). */
  externalPort: number
  /** Lease in seconds (0 = permanent, as some UPnP gateways grant). */
  lifetime: number
}
