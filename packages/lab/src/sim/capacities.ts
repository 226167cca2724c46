import type { LinkOptions } from '@p2p/sim'

/** One class of access link: its capacities and the share of hosts that have it. */
export interface CapacityClass {
  /** Download capacity, kbit/s. */
  downKbps: number
  /** Upload capacity, kbit/s. */
  upKbps: number
  /** Fraction of hosts in this class. */
  share: number
}

/**
 * Access links of peers as measured on a peer-to-peer network: Saroiu, Gummadi and Gribble, "A
 * Measurement Study of Peer-to-Peer File Sharing Systems" (MMCN 2002), bottleneck bandwidths of
 * Gnutella and Napster hosts, as tabulated into four classes by Bharambe, Herley and Padmanabhan,
 * "Analyzing and Improving a BitTorrent Network's Performance Mechanisms" (INFOCOM 2006, table 1),
 * who drove their BitTorrent simulator with it. Asymmetric (cable/DSL) links dominate; a peer's
 * upload is 1/6 to 1/2 of its download.
 */
export const MEASURED_CAPACITIES: readonly CapacityClass[] = [
  { downKbps: 784, upKbps: 128, share: 0.2 },
  { downKbps: 1_500, upKbps: 384, share: 0.4 },
  { downKbps: 3_000, upKbps: 1_000, share: 0.25 },
  { downKbps: 10_000, upKbps: 5_000, share: 0.15 },
]

/** Largest TCP segment assumed by the loss model, bytes. */
const MSS = 1_460

/**
 * Throughput one TCP flow can hold under random loss `p` at round trip `rttMs` (Mathis, Semke,
 * Mahdavi and Ott, "The Macroscopic Behavior of the TCP Congestion Avoidance Algorithm", 1997):
 * MSS / RTT * sqrt(3/2) / sqrt(p), bytes per second (Infinity without loss).
 */
export function mathisRate(rttMs: number, loss: number): number {
  if (loss <= 0) return Number.POSITIVE_INFINITY
  return (MSS / (rttMs / 1000)) * (Math.sqrt(1.5) / Math.sqrt(loss))
}

/** Ranges a simulated host's link is drawn from. */
export interface LinkModel {
  /** Capacity classes (default {@link MEASURED_CAPACITIES}). */
  classes: readonly CapacityClass[]
  /** One-way delay to the network, ms: uniform in [min, max]. */
  latencyMs: [number, number]
  /** Random packet loss on the host's link: uniform in [min, max]. */
  loss: [number, number]
}

/** Default link model: the measured capacities, 10..100 ms one way, 0..1 % loss. */
export const DEFAULT_LINK_MODEL: LinkModel = {
  classes: MEASURED_CAPACITIES,
  latencyMs: [10, 100],
  loss: [0, 0.01],
}

/** One drawn host link (rates in bytes per second). */
export interface DrawnLink extends LinkOptions {
  downBytesPerSecond: number
  loss: number
}

/**
 * Draws one host's link from `model` with `random` (uniform in [0, 1)): its class's capacities, a
 * latency and a loss rate. Loss lowers the upload to what a TCP flow holds at that loss over a round
 * trip of twice the host's latency plus the model's mean one-way latency (the other end's share),
 * a per-host approximation of a per-path effect.
 */
export function drawLink(model: LinkModel, random: () => number): DrawnLink {
  let u = random()
  let c = model.classes[model.classes.length - 1]!
  for (const k of model.classes) {
    if (u < k.share) {
      c = k
      break
    }
    u -= k.share
  }
  const [lmin, lmax] = model.latencyMs
  const latencyMs = lmin + random() * (lmax - lmin)
  const loss = model.loss[0] + random() * (model.loss[1] - model.loss[0])
  const rtt = 2 * latencyMs + lmin + lmax
  const up = (c.upKbps * 1000) / 8
  return {
    latencyMs,
    loss,
    bytesPerSecond: Math.min(up, mathisRate(rtt, loss)),
    downBytesPerSecond: (c.downKbps * 1000) / 8,
  }
}
