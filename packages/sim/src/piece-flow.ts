import type { BlockRequest, ChokerPeer } from '@p2p/swarm'

/**
 * One direction of a connection of the piece-level model (`up` uploads to `down`), as the uploader's
 * `Choker` sees it: it is its own `id`, and its rates are refreshed before each choke round.
 */
export class Half implements ChokerPeer {
  /** Itself (the choker's key). */
  readonly id: unknown
  /** Uploading peer. */
  readonly up: number
  /** Downloading peer. */
  readonly down: number
  /** `up` chokes `down`. */
  choked = true
  /** `down` wants pieces of `up`. */
  interested = false
  /** Bytes/s `up` received from `down` over `up`'s last choke interval. */
  downloadRate = 0
  /** Bytes/s `up` sent `down` over `up`'s last choke interval. */
  uploadRate = 0
  /** Pieces `up` has that `down` lacks (`down` is interested while it is above 0). */
  missing = 0
  /** Bytes `up` sent `down` so far. */
  sent = 0
  /** `sent` at `up`'s last choke round (for its upload rate to `down`). */
  upMark = 0
  /** `sent` at `down`'s last choke round (for its download rate from `up`). */
  downMark = 0
  /** The transfer under way, if any. */
  flow: Flow | undefined = undefined
  /** An unchoke is on its way and the first request has not arrived yet. */
  pending = false
  /** The connection is closed. */
  closed = false
  /** The other direction of the connection. */
  reverse: Half

  /** Both directions of a new connection between `a` and `b`: [a uploads to b, b uploads to a]. */
  static pair(a: number, b: number): [Half, Half] {
    const ab = new Half(a, b, undefined)
    const ba = new Half(b, a, ab)
    ab.reverse = ba
    return [ab, ba]
  }

  private constructor(up: number, down: number, reverse: Half | undefined) {
    this.id = this
    this.up = up
    this.down = down
    this.reverse = reverse ?? this
  }
}

/** A batch of block requests sent as one stream of bytes at a rate that changes with the sharing. */
export interface Flow {
  half: Half
  blocks: BlockRequest[]
  /** Bytes of the batch. */
  size: number
  /** Bytes sent so far. */
  done: number
  /** Bytes per ms. */
  rate: number
  /** Virtual time `done` was last brought up to date. */
  at: number
}

/**
 * Sets the rates of an uploader's flows (bytes per ms): its capacity `up` shared equally, no flow
 * above its cap (the downloader's capacity shared equally among the downloader's incoming flows),
 * what a capped flow leaves going to the others (progressive filling at one uploader).
 */
export function shareUplink(flows: Flow[], up: number, cap: (f: Flow) => number): void {
  if (flows.length === 1) {
    flows[0]!.rate = Math.min(up, cap(flows[0]!))
    return
  }
  // Most often no flow is capped below an equal share.
  const equal = up / flows.length
  let capped = false
  for (const f of flows) if (cap(f) < equal) capped = true
  if (!capped) {
    for (const f of flows) f.rate = equal
    return
  }
  const caps = flows.map((f) => ({ f, cap: cap(f) })).sort((a, b) => a.cap - b.cap)
  let left = up
  for (let k = 0; k < caps.length; k++) {
    const r = Math.min(caps[k]!.cap, left / (caps.length - k))
    caps[k]!.f.rate = r
    left -= r
  }
}
