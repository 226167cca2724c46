/**
 * The byte-array helpers the toolkit's packages share, so each exists once: lower-case hex of a
 * byte view and byte equality.
 *
 * @example
 * ```ts
 * import { equalBytes, toHex } from '@p2p/bytes'
 * toHex(Uint8Array.of(0xde, 0xad)) // 'dead'
 * equalBytes(Uint8Array.of(1), Uint8Array.of(1)) // true
 * ```
 * @packageDocumentation
 */
export { equalBytes } from './equal.js'
export { toHex } from './hex.js'
