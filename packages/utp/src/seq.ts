/** Sequence and ack numbers are 16 bits and wrap around (BEP 29 "seq_nr"). */
export const SEQ_MASK = 0xffff

/** `(a + n)` modulo 2^16. */
export function seqAdd(a: number, n: number): number {
  return (a + n) & SEQ_MASK
}

/** How far `b` is ahead of `a`, in 0..65535 (`b - a` modulo 2^16). */
export function seqDistance(a: number, b: number): number {
  return (b - a) & SEQ_MASK
}

/** Whether `a` comes before `b`, taking wrap-around into account (the shorter way round decides). */
export function seqLess(a: number, b: number): boolean {
  const up = (b - a) & SEQ_MASK
  const down = (a - b) & SEQ_MASK
  return up !== 0 && up < down
}

/** Whether the 32-bit microsecond timestamp `a` comes before `b`, taking wrap-around into account. */
export function stampLess(a: number, b: number): boolean {
  const up = (b - a) >>> 0
  const down = (a - b) >>> 0
  return up !== 0 && up < down
}
