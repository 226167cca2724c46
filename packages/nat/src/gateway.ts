import { readFile } from 'node:fs/promises'
import { NatError } from './errors.js'

/**
 * The IPv4 default gateway from the text of Linux's `/proc/net/route` (little-endian hex columns),
 * preferring the lowest metric. Undefined when there is no default route.
 *
 * @example
 * ```ts
 * parseProcNetRoute(text) // '192.168.1.1'
 * ```
 */
export function parseProcNetRoute(text: string): string | undefined {
  let best: { gateway: string; metric: number } | undefined
  for (const line of text.split('\n').slice(1, 1025)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 8) continue
    const [, destination, gatewayHex, flagsHex, , , metricText, mask] = cols
    const flags = Number.parseInt(flagsHex!, 16)
    // RTF_UP (1) and RTF_GATEWAY (2), destination and mask 0: the default route.
    if (destination !== '00000000' || mask !== '00000000' || (flags & 3) !== 3) continue
    if (!/^[0-9A-Fa-f]{8}$/.test(gatewayHex!)) continue
    const n = Number.parseInt(gatewayHex!, 16)
    const gateway = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.')
    const metric = Number(metricText)
    if (!best || metric < best.metric) best = { gateway, metric }
  }
  return best?.gateway
}

/**
 * The IPv4 default gateway of this host (Linux), or `explicit` when given.
 *
 * @throws {NatError} `NAT_NO_GATEWAY` when there is none.
 */
export async function defaultGateway(explicit?: string): Promise<string> {
  if (explicit) return explicit
  let text = ''
  try {
    text = await readFile('/proc/net/route', 'utf8')
  } catch {}
  const gateway = parseProcNetRoute(text)
  if (!gateway) throw new NatError('NAT_NO_GATEWAY', 'no IPv4 default route (pass the gateway option)')
  return gateway
}
