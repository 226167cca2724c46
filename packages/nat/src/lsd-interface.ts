import { isIP } from 'node:net'
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os'
import type { LocalPeerDiscoveryOptions } from './local-peer-discovery.js'

/** The interface options of {@link LocalPeerDiscoveryOptions}. */
export type LsdInterfaceOptions = Pick<
  LocalPeerDiscoveryOptions,
  'interfaceAddress' | 'ipv4' | 'ipv6' | 'ipv6Interface'
>

/**
 * Where local peer discovery announces for a client listening on `host`: a client bound to one address
 * announces only on that address's interface and in its family (one bound to 127.0.0.1 multicasts on the
 * loopback interface, never to the LAN); a wildcard (`::`, `0.0.0.0`, none) leaves the interface to the
 * system. An IPv6 address on no interface (or a host name) turns both groups off.
 */
export function lsdInterfaceFor(
  host: string | undefined,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): LsdInterfaceOptions {
  if (host === undefined || host === '::') return {}
  if (host === '0.0.0.0') return { ipv6: false }
  if (isIP(host) === 4) return { interfaceAddress: host, ipv6: false }
  const address = host.toLowerCase().replace(/%.*$/, '')
  const name = Object.entries(interfaces).find(([, list]) =>
    list?.some((a) => a.family === 'IPv6' && a.address.toLowerCase() === address),
  )?.[0]
  return name === undefined ? { ipv4: false, ipv6: false } : { ipv4: false, ipv6Interface: name }
}
