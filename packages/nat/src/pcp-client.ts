import { randomBytes } from 'node:crypto'
import { EpochTracker } from './epoch.js'
import { gatewayExchange, type UdpClientOptions } from './gateway-exchange.js'
import type { MappingClient, MapResult } from './mapping-client.js'
import { decodePcpMapReply, encodePcpMapRequest, PCP_NONCE_LENGTH, type PcpMapRequest } from './pcp.js'
import type { Transport } from './transport.js'

/** Lifetime of the short-lived mapping used to learn the external address (PCP has no address request). */
const PROBE_LIFETIME_S = 60 // a PCP server clamps to its own minimum; we delete it at once
/** The probe maps a random dynamic port (RFC 6335 49152-65535), as gateways often allow only ports above 1023. */
const probePort = () => 49152 + (randomBytes(2).readUInt16BE(0) % 16384)

/**
 * A PCP (RFC 6887) MAP client for one gateway. Each mapping keeps its nonce for renewals and deletion.
 */
export class PcpClient implements MappingClient {
  /** Always `'pcp'`. */
  readonly method = 'pcp'
  readonly #options: UdpClientOptions
  readonly #epoch = new EpochTracker()
  readonly #nonces = new Map<string, Uint8Array>()

  constructor(options: UdpClientOptions) {
    this.#options = options
  }

  #send(req: Omit<PcpMapRequest, 'clientAddress'>, signal?: AbortSignal) {
    return gatewayExchange(
      this.#options,
      this.#epoch,
      (clientAddress) => encodePcpMapRequest({ ...req, clientAddress }),
      (r) => decodePcpMapReply(r, { ...req, clientAddress: '' }),
      signal,
    )
  }

  #nonce(transport: Transport, internalPort: number): Uint8Array {
    const key = `${transport}:${internalPort}`
    let nonce = this.#nonces.get(key)
    if (!nonce) {
      nonce = new Uint8Array(randomBytes(PCP_NONCE_LENGTH))
      this.#nonces.set(key, nonce)
    }
    return nonce
  }

  /** The external address, learnt from a short MAP request that is deleted at once. */
  async externalAddress(signal?: AbortSignal): Promise<string> {
    const nonce = new Uint8Array(randomBytes(PCP_NONCE_LENGTH))
    const probe = { nonce, transport: 'udp' as const, internalPort: probePort(), externalPort: 0 }
    const { reply } = await this.#send({ ...probe, lifetime: PROBE_LIFETIME_S }, signal)
    await this.#send({ ...probe, externalPort: reply.externalPort, lifetime: 0 }, signal).catch(() => {})
    return reply.externalAddress
  }

  /** Creates or renews a mapping (RFC 6887 11). */
  async map(
    transport: Transport,
    internalPort: number,
    externalPort: number,
    lifetime: number,
    signal?: AbortSignal,
  ): Promise<MapResult> {
    const nonce = this.#nonce(transport, internalPort)
    const { reply, restarted } = await this.#send(
      { nonce, transport, internalPort, externalPort, lifetime },
      signal,
    )
    return {
      externalPort: reply.externalPort,
      lifetime: reply.lifetime,
      externalAddress: reply.externalAddress,
      gatewayRestarted: restarted,
    }
  }

  /** Deletes a mapping (RFC 6887 15: MAP with lifetime 0 and the same nonce). */
  async unmap(
    transport: Transport,
    internalPort: number,
    externalPort: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const nonce = this.#nonce(transport, internalPort)
    await this.#send({ nonce, transport, internalPort, externalPort, lifetime: 0 }, signal)
    this.#nonces.delete(`${transport}:${internalPort}`)
  }
}
