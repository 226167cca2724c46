import { type Mapping, type NatError, PortMapper, type PortMapperOptions } from '@p2p/nat'

/** Port mapping options of a client: `true` for the defaults (PCP, NAT-PMP, then UPnP). */
export type PortMappingOption = boolean | Omit<PortMapperOptions, 'internalPort'>

/**
 * Starts mapping `internalPort` on the gateway; failures are reported to `onFailed`, never thrown (a client
 * without a mapping still works through the connections it opens).
 */
export function startPortMapping(
  internalPort: number,
  option: PortMappingOption,
  onFailed: (err: NatError) => void,
): PortMapper {
  const mapper = new PortMapper({ ...(typeof option === 'object' ? option : {}), internalPort })
  mapper.on('failed', onFailed)
  mapper.start().catch(() => {}) // reported through 'failed'
  return mapper
}

/** The TCP port peers outside reach us on: the mapped external port, else our own. */
export function announcedPort(mapper: PortMapper | undefined, port: number): number {
  return mapper?.mappings.find((m: Mapping) => m.transport === 'tcp')?.externalPort ?? port
}
