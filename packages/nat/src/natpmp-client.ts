import { EpochTracker } from './epoch.js'
import { NatError } from './errors.js'
import { gatewayExchange, type UdpClientOptions } from './gateway-exchange.js'
import type { MappingClient, MapResult } from './mapping-client.js'
import {
  decodeNatPmpAddressReply,
  decodeNatPmpMapReply,
  encodeNatPmpAddressRequest,
  encodeNatPmpMapRequest,
} from './natpmp.js'
import type { Transport } from './transport.js'

/** A NAT-PMP (RFC 6886) client for one gateway. */
export class NatPmpClient implements MappingClient {
  /** Always `'natpmp'`. */
  readonly method = 'natpmp'
  readonly #options: UdpClientOptions
  readonly #epoch = new EpochTracker()

  constructor(options: UdpClientOptions) {
    this.#options = options
  }

  #exchange<T extends { epoch: number }>(
    request: Uint8Array,
    decode: (r: Uint8Array) => T,
    signal?: AbortSignal,
  ) {
    return gatewayExchange(this.#options, this.#epoch, () => request, decode, signal)
  }

  /** The gateway's external IPv4 address (RFC 6886 3.2). */
  async externalAddress(signal?: AbortSignal): Promise<string> {
    const { reply } = await this.#exchange(encodeNatPmpAddressRequest(), decodeNatPmpAddressReply, signal)
    return reply.externalAddress
  }

  /** Creates or renews a mapping (RFC 6886 3.3). */
  async map(
    transport: Transport,
    internalPort: number,
    externalPort: number,
    lifetime: number,
    signal?: AbortSignal,
  ): Promise<MapResult> {
    const request = encodeNatPmpMapRequest(transport, internalPort, externalPort, lifetime)
    const { reply, restarted } = await this.#exchange(
      request,
      (r) => checkInternalPort(decodeNatPmpMapReply(r, transport), internalPort),
      signal,
    )
    return { externalPort: reply.externalPort, lifetime: reply.lifetime, gatewayRestarted: restarted }
  }

  /** Deletes a mapping (RFC 6886 3.4: lifetime 0, external port 0). */
  async unmap(
    transport: Transport,
    internalPort: number,
    _externalPort: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#exchange(
      encodeNatPmpMapRequest(transport, internalPort, 0, 0),
      (r) => checkInternalPort(decodeNatPmpMapReply(r, transport), internalPort),
      signal,
    )
  }
}

function checkInternalPort<T extends { internalPort: number }>(reply: T, internalPort: number): T {
  if (reply.internalPort !== internalPort)
    throw new NatError('NAT_BAD_REPLY', 'NAT-PMP reply for another port')
  return reply
}
