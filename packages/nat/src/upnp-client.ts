import { createSocket } from 'node:dgram'
import { NatError } from './errors.js'
import { httpRequest } from './http.js'
import { findWanService, type IgdService } from './igd-description.js'
import type { MappingClient, MapResult } from './mapping-client.js'
import { encodeSoapRequest, parseSoapResponse, UPNP_ERROR } from './soap.js'
import { encodeMSearch, IGD_DEVICE_TYPES, parseSsdpReply, SSDP_ADDRESS, SSDP_PORT } from './ssdp.js'
import type { Transport } from './transport.js'
import { parseXml } from './xml.js'

/** Options of {@link UpnpClient.discover}. */
export interface UpnpDiscoverOptions {
  /** Where to send M-SEARCH; default the SSDP multicast group (tests use a unicast address). */
  ssdpAddress?: string
  /** SSDP port; default 1900. */
  ssdpPort?: number
  /** How long to wait for replies. Default 2000 ms. */
  timeoutMs?: number
  /** Timeout of each HTTP request. Default 5000 ms. */
  httpTimeoutMs?: number
  /** Text of the mappings' description. Default `p2p`. */
  description?: string
  /** Aborts discovery. */
  signal?: AbortSignal
}

const MAX_SSDP_REPLIES = 16

/** A UPnP IGD (v1 or v2) WAN connection service, spoken to with SOAP. */
export class UpnpClient implements MappingClient {
  /** Always `'upnp'`. */
  readonly method = 'upnp'
  /** The service in use. */
  readonly service: IgdService
  /** Our LAN address as the gateway sees it (the mappings' internal client). */
  readonly localAddress: string
  readonly #description: string
  readonly #httpTimeoutMs: number

  constructor(
    service: IgdService,
    localAddress: string,
    options: { description?: string; httpTimeoutMs?: number } = {},
  ) {
    this.service = service
    this.localAddress = localAddress
    this.#description = options.description ?? 'p2p'
    this.#httpTimeoutMs = options.httpTimeoutMs ?? 5000
  }

  /**
   * Finds an Internet Gateway Device with SSDP, fetches its description and returns a client for its WAN
   * connection service. A reply whose LOCATION is on another host than the reply's sender is ignored.
   *
   * @throws {NatError} `NAT_TIMEOUT` when no usable gateway answered.
   */
  static async discover(options: UpnpDiscoverOptions = {}): Promise<UpnpClient> {
    const locations = await searchLocations(options)
    let lastError: unknown
    for (const location of locations) {
      try {
        const res = await httpRequest(location, { timeoutMs: options.httpTimeoutMs, signal: options.signal })
        if (res.status !== 200) throw new NatError('NAT_HTTP', `${location}: HTTP ${res.status}`)
        const service = findWanService(parseXml(res.body), location)
        return new UpnpClient(service, res.localAddress, options)
      } catch (err) {
        lastError = err
      }
    }
    if (lastError) throw lastError
    throw new NatError('NAT_TIMEOUT', 'no UPnP Internet Gateway Device answered')
  }

  async #call(action: string, args: Record<string, string | number>, signal?: AbortSignal) {
    const res = await httpRequest(this.service.controlUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/xml; charset="utf-8"',
        SOAPAction: `"${this.service.serviceType}#${action}"`,
      },
      body: encodeSoapRequest(this.service.serviceType, action, args),
      timeoutMs: this.#httpTimeoutMs,
      signal,
    })
    // A SOAP fault comes with HTTP 500; parseSoapResponse turns it into NAT_REFUSED.
    if (res.status !== 200 && res.status !== 500) {
      throw new NatError('NAT_HTTP', `${action}: HTTP ${res.status}`)
    }
    return parseSoapResponse(res.body, action)
  }

  /** GetExternalIPAddress. */
  async externalAddress(signal?: AbortSignal): Promise<string> {
    const out = await this.#call('GetExternalIPAddress', {}, signal)
    return out.get('NewExternalIPAddress') ?? ''
  }

  /**
   * AddPortMapping; on a conflict with an IGD v2 gateway, AddAnyPortMapping (the gateway picks the port).
   * A gateway that only supports permanent leases gets lease 0 (and {@link UpnpClient.unmap} on close).
   */
  async map(
    transport: Transport,
    internalPort: number,
    externalPort: number,
    lifetime: number,
    signal?: AbortSignal,
  ): Promise<MapResult> {
    const args = (lease: number) => ({
      NewRemoteHost: '',
      NewExternalPort: externalPort,
      NewProtocol: transport.toUpperCase(),
      NewInternalPort: internalPort,
      NewInternalClient: this.localAddress,
      NewEnabled: 1,
      NewPortMappingDescription: this.#description,
      NewLeaseDuration: lease,
    })
    const granted = (port: number, lease: number): MapResult => ({
      externalPort: port,
      lifetime: lease,
      gatewayRestarted: false,
    })
    try {
      await this.#call('AddPortMapping', args(lifetime), signal)
      return granted(externalPort, lifetime)
    } catch (err) {
      if (!(err instanceof NatError)) throw err
      if (err.detail === UPNP_ERROR.onlyPermanentLeases) {
        await this.#call('AddPortMapping', args(0), signal)
        return granted(externalPort, 0)
      }
      const v2 = this.service.serviceType.endsWith(':2')
      if (
        !v2 ||
        (err.detail !== UPNP_ERROR.conflict && err.detail !== UPNP_ERROR.conflictWithOtherMechanisms)
      ) {
        throw err
      }
      const out = await this.#call('AddAnyPortMapping', args(lifetime), signal)
      const port = Number(out.get('NewReservedPort'))
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new NatError(
          'NAT_BAD_REPLY',
          `AddAnyPortMapping gave port ${out.get('NewReservedPort')?.slice(0, 20)}`,
        )
      }
      return granted(port, lifetime)
    }
  }

  /** DeletePortMapping. */
  async unmap(
    transport: Transport,
    _internalPort: number,
    externalPort: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call(
      'DeletePortMapping',
      { NewRemoteHost: '', NewExternalPort: externalPort, NewProtocol: transport.toUpperCase() },
      signal,
    )
  }
}

/** Sends M-SEARCH for IGD v2 and v1 (twice, UDP may drop one) and collects distinct LOCATIONs until the timeout. */
async function searchLocations(options: UpnpDiscoverOptions): Promise<string[]> {
  const { signal } = options
  if (signal?.aborted) throw new NatError('NAT_CLOSED', 'aborted')
  const sock = createSocket('udp4')
  const locations: string[] = []
  const timers: NodeJS.Timeout[] = []
  let onAbort: (() => void) | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      onAbort = () => reject(new NatError('NAT_CLOSED', 'aborted'))
      signal?.addEventListener('abort', onAbort, { once: true })
      sock.on('error', (err) => reject(new NatError('NAT_TIMEOUT', `SSDP: ${err.message}`)))
      sock.on('message', (msg, from) => {
        try {
          const reply = parseSsdpReply(msg)
          if (new URL(reply.location).hostname !== from.address) return
          if (!locations.includes(reply.location)) locations.push(reply.location)
          if (locations.length >= MAX_SSDP_REPLIES) resolve()
        } catch {}
      })
      sock.bind(0, () => {
        const send = () => {
          for (const type of IGD_DEVICE_TYPES) {
            sock.send(encodeMSearch(type), options.ssdpPort ?? SSDP_PORT, options.ssdpAddress ?? SSDP_ADDRESS)
          }
        }
        send()
        const timeoutMs = options.timeoutMs ?? 2000
        timers.push(setTimeout(send, timeoutMs / 4))
        // Stop at the first answers once a little time has passed for others; else at the timeout.
        timers.push(setTimeout(() => (locations.length > 0 ? resolve() : undefined), timeoutMs / 2))
        timers.push(setTimeout(resolve, timeoutMs))
      })
    })
  } finally {
    for (const t of timers) clearTimeout(t)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    sock.close()
  }
  return locations
}
