import type { Message } from '@p2p/peer-wire'
import fc from 'fast-check'

export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max })
export const hashFields = fc.record({
  piecesRoot: bytes(32, 32),
  baseLayer: u32,
  index: u32,
  length: u32,
  proofLayers: u32,
})

/** Any peer wire message with random fields. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom(
    ...(
      ['keep-alive', 'choke', 'unchoke', 'interested', 'not-interested', 'have-all', 'have-none'] as const
    ).map((type) => ({ type }) as Message),
  ),
  fc.record({
    type: fc.constantFrom('have', 'suggest', 'allowed-fast'),
    index: u32,
  }) as fc.Arbitrary<Message>,
  fc.record({ type: fc.constant('bitfield'), bits: bytes(1, 64) }) as fc.Arbitrary<Message>,
  fc.record({
    type: fc.constantFrom('request', 'cancel', 'reject'),
    index: u32,
    begin: u32,
    length: u32,
  }) as fc.Arbitrary<Message>,
  fc.record({
    type: fc.constant('piece'),
    index: u32,
    begin: u32,
    block: bytes(0, 300),
  }) as fc.Arbitrary<Message>,
  fc.record({ type: fc.constant('port'), port: fc.integer({ min: 0, max: 65535 }) }) as fc.Arbitrary<Message>,
  fc.record({
    type: fc.constant('extended'),
    id: fc.integer({ min: 0, max: 255 }),
    payload: bytes(0, 100),
  }) as fc.Arbitrary<Message>,
  hashFields.map((h) => ({ type: 'hash-request', ...h }) as Message),
  hashFields.map((h) => ({ type: 'hash-reject', ...h }) as Message),
  fc
    .tuple(hashFields, fc.integer({ min: 0, max: 8 }), bytes(0, 8 * 32))
    .map(
      ([h, n, b]) =>
        ({ type: 'hashes', ...h, hashes: new Uint8Array(n * 32).map((_, i) => b[i] ?? i) }) as Message,
    ),
)

/** `whole` cut into consecutive chunks at `points` (taken modulo its length + 1): how TCP may split it. */
export function cut(whole: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (whole.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let prev = 0
  for (const p of [...sorted, whole.length]) {
    chunks.push(whole.subarray(prev, p))
    prev = p
  }
  return chunks
}
