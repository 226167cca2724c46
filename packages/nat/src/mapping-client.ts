import type { GrantedMapping, Transport } from './transport.js'

/** The three port mapping protocols. */
export type MappingMethod = 'pcp' | 'natpmp' | 'upnp'

/** A mapping a client made, and whether the gateway showed it had lost its state meanwhile. */
export interface MapResult extends GrantedMapping {
  /** The gateway's epoch went wrong (NAT-PMP/PCP): it restarted, every other mapping must be made again. */
  gatewayRestarted: boolean
  /** External address the reply carried (PCP), unchecked. */
  externalAddress?: string
}

/** One gateway spoken to over one protocol; what {@link PortMapper} drives (inject fakes in tests). */
export interface MappingClient {
  /** Which protocol this client speaks. */
  readonly method: MappingMethod
  /** Asks the gateway for its external address (unchecked). */
  externalAddress(signal?: AbortSignal): Promise<string>
  /** Creates or renews a mapping; `externalPort` is a suggestion the gateway may change. */
  map(
    transport: Transport,
    internalPort: number,
    externalPort: number,
    lifetime: number,
    signal?: AbortSignal,
  ): Promise<MapResult>
  /** Removes a mapping. */
  unmap(transport: Transport, internalPort: number, externalPort: number, signal?: AbortSignal): Promise<void>
}
