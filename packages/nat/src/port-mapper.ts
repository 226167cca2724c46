import { EventEmitter } from 'node:events'
import { NatError } from './errors.js'
import { checkExternalAddress, type ExternalAddress } from './external-address.js'
import { defaultGateway } from './gateway.js'
import type { UdpClientOptions } from './gateway-exchange.js'
import type { MappingClient, MappingMethod } from './mapping-client.js'
import { NatPmpClient } from './natpmp-client.js'
import { PcpClient } from './pcp-client.js'
import { UPNP_ERROR } from './soap.js'
import { REAL_TIMERS, type Timers } from './timers.js'
import type { Transport } from './transport.js'
import { UpnpClient, type UpnpDiscoverOptions } from './upnp-client.js'

/** A mapping the gateway holds for us. */
export interface Mapping {
  /** Protocol that made it. */
  method: MappingMethod
  /** Transport protocol. */
  transport: Transport
  /** Our listening port. */
  internalPort: number
  /** The port the outside connects to. */
  externalPort: number
  /** Granted lease in seconds (0 = permanent). */
  lifetime: number
  /** When the lease ends (ms on the mapper's clock; `Infinity` when permanent). */
  expiresAt: number
}

/** Events of {@link PortMapper}, one per state change. */
export interface PortMapperEvents {
  /** A gateway answered over this protocol; it is used from now on. */
  method: [MappingMethod]
  /** The external address was learnt or changed. */
  'external-address': [ExternalAddress]
  /** A mapping was made (or made again with another external port). */
  mapped: [Mapping]
  /** A mapping was renewed with the same external port. */
  renewed: [Mapping]
  /** A mapping's lease ended before it could be renewed (retries go on). */
  expired: [Mapping]
  /** A mapping was removed on close. */
  unmapped: [Mapping]
  /** The gateway lost its state (NAT-PMP/PCP epoch); every mapping is made again. */
  'gateway-restarted': [MappingMethod]
  /** Something failed; the mapper goes on (retries) unless it was {@link PortMapper.start} itself. */
  failed: [NatError]
}

/** Options of {@link PortMapper}. */
export interface PortMapperOptions {
  /** Our listening port. */
  internalPort: number
  /** Transports to map. Default TCP and UDP. */
  transports?: Transport[]
  /** Protocols to try, in order. Default PCP, NAT-PMP, then UPnP. */
  methods?: MappingMethod[]
  /** Clients to try instead of `methods` (tests, or a caller that discovered the gateway itself). */
  clients?: MappingClient[]
  /** The gateway for NAT-PMP and PCP. Default: the default route's gateway. */
  gateway?: string
  /** Options of the NAT-PMP and PCP clients (port, retries). */
  udp?: Omit<UdpClientOptions, 'gateway'>
  /** Options of UPnP discovery. */
  upnp?: UpnpDiscoverOptions
  /** Requested lease in seconds. Default 7200 (RFC 6886 3.3 recommends two hours). */
  lifetime?: number
  /** External ports tried when a UPnP gateway reports a conflict. Default 4. */
  maxPortAttempts?: number
  /** Wait before retrying a failed renewal. Default 30 s. */
  retryDelayMs?: number
  /** Clock and timers. Default the real ones (unref'd). */
  timers?: Timers
  /** Random number in [0, 1) for picking another port. Default `Math.random`. */
  random?: () => number
}

const MIN_RENEW_MS = 1000
const DYNAMIC_PORTS = { first: 1024, count: 65536 - 1024 }

/**
 * Keeps our listening port reachable from outside: finds a gateway (PCP, NAT-PMP, UPnP IGD), maps each
 * transport, renews at half the lease, retries elsewhere on a conflict, learns the external address,
 * remaps after a gateway restart and removes everything on {@link PortMapper.close}. Every change is
 * an event; nothing a gateway replies can throw out of it.
 *
 * @example
 * ```ts
 * const mapper = new PortMapper({ internalPort: 6881 })
 * mapper.on('mapped', (m) => console.log(`${m.transport} ${m.externalPort} via ${m.method}`))
 * await mapper.start()
 * // ...
 * await mapper.close()
 * ```
 */
export class PortMapper extends EventEmitter<PortMapperEvents> {
  readonly #options: PortMapperOptions
  readonly #timers: Timers
  readonly #mappings = new Map<Transport, Mapping>()
  readonly #lastPort = new Map<Transport, number>()
  readonly #renewTimers = new Map<Transport, unknown>()
  readonly #pending = new Set<Promise<unknown>>()
  #client: MappingClient | undefined
  #external: ExternalAddress | undefined
  #closed = false

  constructor(options: PortMapperOptions) {
    super()
    const { internalPort, lifetime = 7200 } = options
    if (!Number.isInteger(internalPort) || internalPort < 1 || internalPort > 65535) {
      throw new NatError('NAT_INVALID_ARGUMENT', `expected a port 1..65535, got ${internalPort}`)
    }
    if (!Number.isInteger(lifetime) || lifetime < 1) {
      throw new NatError('NAT_INVALID_ARGUMENT', `expected a lifetime >= 1 s, got ${lifetime}`)
    }
    this.#options = options
    this.#timers = options.timers ?? REAL_TIMERS
  }

  /** The mappings held now. */
  get mappings(): Mapping[] {
    return [...this.#mappings.values()]
  }

  /** The external address, once learnt. */
  get externalAddress(): ExternalAddress | undefined {
    return this.#external
  }

  /** The protocol in use, once a gateway answered. */
  get method(): MappingMethod | undefined {
    return this.#client?.method
  }

  /**
   * Finds a gateway and maps every transport. Resolves with the mappings made (a transport that could
   * not be mapped is retried later and reported with `failed`).
   *
   * @throws {NatError} `NAT_UNAVAILABLE` when no protocol reached a gateway; `NAT_CLOSED` after close.
   */
  async start(): Promise<Mapping[]> {
    if (this.#closed) throw new NatError('NAT_CLOSED', 'port mapper closed')
    for (const candidate of this.#candidates()) {
      try {
        const client = await this.#track(candidate())
        const address = await this.#track(client.externalAddress())
        if (this.#closed) throw new NatError('NAT_CLOSED', 'port mapper closed')
        this.#client = client
        this.emit('method', client.method)
        this.#learnAddress(address)
        break
      } catch (err) {
        if (this.#closed) throw new NatError('NAT_CLOSED', 'port mapper closed')
        this.#fail(err)
      }
    }
    if (!this.#client) {
      const err = new NatError('NAT_UNAVAILABLE', 'no gateway answered over PCP, NAT-PMP or UPnP')
      this.emit('failed', err)
      throw err
    }
    await Promise.all(this.#transports().map((t) => this.#track(this.#map(t))))
    return this.mappings
  }

  /** Stops renewing and removes every mapping from the gateway (bounded by the clients' timeouts). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const timer of this.#renewTimers.values()) this.#timers.clearTimeout(timer)
    this.#renewTimers.clear()
    await Promise.allSettled([...this.#pending])
    const client = this.#client
    if (!client) return
    await Promise.all(
      this.mappings.map(async (m) => {
        this.#mappings.delete(m.transport)
        try {
          await client.unmap(m.transport, m.internalPort, m.externalPort)
          this.emit('unmapped', m)
        } catch (err) {
          this.#fail(err)
        }
      }),
    )
  }

  /** Releases the mappings; same as {@link PortMapper.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #transports(): Transport[] {
    return this.#options.transports ?? ['tcp', 'udp']
  }

  #candidates(): (() => Promise<MappingClient>)[] {
    const { clients, methods = ['pcp', 'natpmp', 'upnp'], gateway, udp, upnp } = this.#options
    if (clients) return clients.map((c) => async () => c)
    return methods.map((method) => async () => {
      if (method === 'upnp') return UpnpClient.discover(upnp)
      const options = { ...udp, gateway: await defaultGateway(gateway) }
      return method === 'pcp' ? new PcpClient(options) : new NatPmpClient(options)
    })
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise)
    const forget = () => this.#pending.delete(promise)
    promise.then(forget, forget)
    return promise
  }

  #fail(err: unknown): void {
    const error = err instanceof NatError ? err : new NatError('NAT_BAD_REPLY', String(err))
    this.emit('failed', error)
  }

  #learnAddress(reported: string): void {
    try {
      const external = checkExternalAddress(reported)
      if (external.address === this.#external?.address) return
      this.#external = external
      this.emit('external-address', external)
    } catch (err) {
      this.#fail(err)
    }
  }

  #randomPort(): number {
    const random = this.#options.random ?? Math.random
    return DYNAMIC_PORTS.first + Math.floor(random() * DYNAMIC_PORTS.count)
  }

  #isPortConflict(err: unknown): boolean {
    return (
      err instanceof NatError &&
      err.code === 'NAT_REFUSED' &&
      this.#client?.method === 'upnp' &&
      (err.detail === UPNP_ERROR.conflict || err.detail === UPNP_ERROR.conflictWithOtherMechanisms)
    )
  }

  /** Maps (or renews) `transport`; never throws. */
  async #map(transport: Transport): Promise<void> {
    const client = this.#client!
    const { internalPort, lifetime = 7200, maxPortAttempts = 4 } = this.#options
    let port = this.#lastPort.get(transport) ?? internalPort
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const granted = await client.map(transport, internalPort, port, lifetime)
        if (
          !Number.isInteger(granted.externalPort) ||
          granted.externalPort < 1 ||
          granted.externalPort > 65535
        ) {
          throw new NatError('NAT_BAD_REPLY', `gateway granted external port ${granted.externalPort}`)
        }
        this.#granted(transport, client, granted.externalPort, Math.max(0, granted.lifetime))
        if (granted.externalAddress !== undefined) this.#learnAddress(granted.externalAddress)
        if (granted.gatewayRestarted) this.#restarted(transport)
        return
      } catch (err) {
        if (this.#isPortConflict(err) && attempt < maxPortAttempts) {
          port = this.#randomPort()
          continue
        }
        this.#fail(err)
        this.#retryLater(transport)
        return
      }
    }
  }

  #granted(transport: Transport, client: MappingClient, externalPort: number, lifetime: number): void {
    const previous = this.#mappings.get(transport)
    const now = this.#timers.now()
    const mapping: Mapping = {
      method: client.method,
      transport,
      internalPort: this.#options.internalPort,
      externalPort,
      lifetime,
      expiresAt: lifetime === 0 ? Number.POSITIVE_INFINITY : now + lifetime * 1000,
    }
    this.#mappings.set(transport, mapping)
    this.#lastPort.set(transport, externalPort)
    // A lease that lapsed before this answer was gone at the gateway meanwhile: that is a new mapping.
    const renewed = previous?.externalPort === externalPort && previous.expiresAt > now
    this.emit(renewed ? 'renewed' : 'mapped', mapping)
    if (this.#closed) return // close() is waiting for us and removes it
    if (lifetime > 0) this.#schedule(transport, Math.max(MIN_RENEW_MS, (lifetime * 1000) / 2))
  }

  #restarted(except: Transport): void {
    this.emit('gateway-restarted', this.#client!.method)
    for (const t of this.#transports()) if (t !== except) void this.#track(this.#map(t))
  }

  #retryLater(transport: Transport): void {
    const mapping = this.#mappings.get(transport)
    if (mapping && this.#timers.now() >= mapping.expiresAt) {
      this.#mappings.delete(transport)
      this.emit('expired', mapping)
    }
    if (this.#closed) return
    // Retry no later than the lease's end, so that an ended lease is noticed when it ends.
    const untilExpiry =
      (this.#mappings.get(transport)?.expiresAt ?? Number.POSITIVE_INFINITY) - this.#timers.now()
    this.#schedule(
      transport,
      Math.min(this.#options.retryDelayMs ?? 30_000, Math.max(MIN_RENEW_MS, untilExpiry)),
    )
  }

  #schedule(transport: Transport, ms: number): void {
    this.#timers.clearTimeout(this.#renewTimers.get(transport))
    const timer = this.#timers.setTimeout(() => {
      this.#renewTimers.delete(transport)
      if (this.#closed) return
      void this.#track(this.#renew(transport))
    }, ms)
    this.#renewTimers.set(transport, timer)
  }

  async #renew(transport: Transport): Promise<void> {
    await this.#map(transport)
    // PCP replies carry the address; the others are asked again, once per renewal round.
    const client = this.#client!
    if (client.method === 'pcp' || transport !== this.#transports()[0] || this.#closed) return
    try {
      this.#learnAddress(await client.externalAddress())
    } catch (err) {
      this.#fail(err)
    }
  }
}
