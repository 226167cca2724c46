import { exec } from './exec.js'

/** Smallest token bucket: one 64 KiB GSO segment, so tbf never stalls on one offloaded packet. */
const MIN_BURST_BYTES = 64 * 1024
/** How long a packet may wait in the tbf queue before it is dropped (a typical home-router buffer). */
const TBF_LATENCY = '20ms'

/**
 * The `tc` arguments that cap egress of `dev` to `bytesPerSecond` with a token bucket filter.
 * netem is not available on the lab machines, so only rate (tbf) is emulated, no delay or loss.
 */
export function tbfArgs(dev: string, bytesPerSecond: number): string[] {
  const burst = Math.max(MIN_BURST_BYTES, Math.ceil(bytesPerSecond / 50))
  return [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${Math.round(bytesPerSecond * 8)}bit`,
  ].concat(['burst', String(burst), 'latency', TBF_LATENCY])
}

/** The root qdiscs of `dev` as `tc qdisc show` prints them (used by the cleanup check). */
export async function showQdiscs(netns: string | undefined, dev?: string): Promise<string> {
  const args = ['qdisc', 'show', ...(dev ? ['dev', dev] : [])]
  return exec('tc', netns ? ['-n', netns, ...args] : args)
}
