/**
 * Port mapping for a BitTorrent client behind a home router: UPnP IGD v1/v2 (SSDP + SOAP), NAT-PMP
 * (RFC 6886) and PCP (RFC 6887), driven by a {@link PortMapper} that keeps the mappings alive.
 * @packageDocumentation
 */
export { EpochTracker } from './epoch.js'
export { NatError, type NatErrorCode } from './errors.js'
export { checkExternalAddress, type ExternalAddress } from './external-address.js'
export { defaultGateway, parseProcNetRoute } from './gateway.js'
export { gatewayExchange, type UdpClientOptions } from './gateway-exchange.js'
export { type HttpRequestOptions, type HttpResponse, httpRequest } from './http.js'
export { findWanService, type IgdService, WAN_SERVICE_TYPES } from './igd-description.js'
export {
  LocalPeerDiscovery,
  type LocalPeerDiscoveryEvents,
  type LocalPeerDiscoveryOptions,
} from './local-peer-discovery.js'
export { LsdCore, type LsdCoreOptions, type LsdPeer } from './lsd-core.js'
export { type LsdInterfaceOptions, lsdInterfaceFor } from './lsd-interface.js'
export {
  encodeLsdAnnounces,
  LSD_IPV4_GROUP,
  LSD_IPV6_GROUP,
  LSD_MAX_DATAGRAM,
  LSD_PORT,
  type LsdAnnounce,
  type LsdAnnounceInput,
  parseLsdAnnounce,
} from './lsd-message.js'
export type { MappingClient, MappingMethod, MapResult } from './mapping-client.js'
export {
  decodeNatPmpAddressReply,
  decodeNatPmpMapReply,
  encodeNatPmpAddressRequest,
  encodeNatPmpMapRequest,
  NAT_PMP_PORT,
  NAT_PMP_RESULT,
  type NatPmpAddressReply,
  type NatPmpMapReply,
  type NatPmpReplyHeader,
} from './natpmp.js'
export { NatPmpClient } from './natpmp-client.js'
export {
  decodePcpMapReply,
  encodePcpMapRequest,
  PCP_NONCE_LENGTH,
  PCP_RESULT,
  type PcpMapReply,
  type PcpMapRequest,
} from './pcp.js'
export { PcpClient } from './pcp-client.js'
export {
  type Mapping,
  PortMapper,
  type PortMapperEvents,
  type PortMapperOptions,
} from './port-mapper.js'
export { encodeSoapRequest, parseSoapResponse, UPNP_ERROR } from './soap.js'
export {
  encodeMSearch,
  IGD_DEVICE_TYPES,
  parseSsdpReply,
  SSDP_ADDRESS,
  SSDP_PORT,
  type SsdpReply,
} from './ssdp.js'
export { REAL_TIMERS, type Timers } from './timers.js'
export type { GrantedMapping, Transport } from './transport.js'
export { type RetryOptions, type UdpExchangeResult, udpExchange } from './udp-exchange.js'
export { UpnpClient, type UpnpDiscoverOptions } from './upnp-client.js'
export { childText, findElement, parseXml, type XmlElement, type XmlLimits } from './xml.js'
