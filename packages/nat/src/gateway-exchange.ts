import type { EpochTracker } from './epoch.js'
import { NAT_PMP_PORT } from './natpmp.js'
import { type RetryOptions, udpExchange } from './udp-exchange.js'

/** Options of {@link NatPmpClient} and {@link PcpClient}. */
export interface UdpClientOptions extends Omit<RetryOptions, 'signal'> {
  /** The gateway's address. */
  gateway: string
  /** Server port; default 5351 (tests use another). */
  port?: number
  /** Clock in ms for the epoch check; default `Date.now`. */
  now?: () => number
}

/**
 * One request/reply with a NAT-PMP or PCP gateway (both on UDP 5351, retried as RFC 6886 3.1 says), and
 * whether the reply's epoch shows that the gateway restarted and lost its mappings.
 *
 * @throws {NatError} what {@link udpExchange} throws.
 */
export async function gatewayExchange<T extends { epoch: number }>(
  options: UdpClientOptions,
  epoch: EpochTracker,
  request: (localAddress: string) => Uint8Array,
  decode: (reply: Uint8Array) => T,
  signal?: AbortSignal,
): Promise<{ reply: T; restarted: boolean }> {
  const { gateway, port = NAT_PMP_PORT, now = Date.now, ...retry } = options
  const { reply } = await udpExchange(gateway, port, request, decode, { ...retry, signal })
  return { reply, restarted: epoch.observe(reply.epoch, now()) }
}
