import { createHash } from 'node:crypto'
import { equalBytes } from '@p2p/bytes'
import { concatBytes } from './bytes.js'

/** BEP 52 leaf block size: 16 KiB. */
export const BLOCK_SIZE = 16384

const ZERO32 = new Uint8Array(32)

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest())
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(a).update(b).digest())
}

/** Smallest power of two >= n (1 for n <= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

const padCache: Uint8Array[] = [ZERO32]

/**
 * Root of a perfect subtree of `2^depth` zero leaves: the padding hash BEP 52 uses at each level.
 * @param depth 0 for a leaf (32 zero bytes).
 */
export function padHash(depth: number): Uint8Array {
  while (padCache.length <= depth) {
    const h = padCache[padCache.length - 1]!
    padCache.push(hashPair(h, h))
  }
  return padCache[depth]!
}

/**
 * Merkle root over `leafHashes` padded to `leafCount` leaves (a power of two) with `pad` (default
 * the zero hash, as BEP 52 pads 16 KiB leaves; pass `padHash(log2(piece blocks))` to root a piece layer).
 *
 * @example
 * ```ts
 * const root = merkleRoot(blockHashes, nextPowerOfTwo(blockHashes.length))
 * ```
 */
export function merkleRoot(
  leafHashes: Uint8Array[],
  leafCount: number,
  pad: Uint8Array = ZERO32,
): Uint8Array {
  if (leafCount < 1 || (leafCount & (leafCount - 1)) !== 0 || leafCount < leafHashes.length) {
    throw new RangeError(`leafCount must be a power of two >= ${leafHashes.length}, got ${leafCount}`)
  }
  let level = leafHashes
  let padLevel = pad
  let width = leafCount
  while (width > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      next.push(hashPair(level[i]!, i + 1 < level.length ? level[i + 1]! : padLevel))
    }
    padLevel = hashPair(padLevel, padLevel)
    level = next
    width /= 2
  }
  return level[0] ?? padLevel
}

/**
 * Hashes `data` as BEP 52 16 KiB leaves (the last one short, never padded) and returns the root of
 * `leafCount` leaves (zero-padded). For a whole file of one piece or less, `leafCount` is
 * `nextPowerOfTwo(ceil(length / 16 KiB))`; for a piece of a larger file it is `pieceLength / 16 KiB`.
 */
export function blockRoot(data: Uint8Array, leafCount: number): Uint8Array {
  return merkleRoot(leafHashes(data), leafCount)
}

/** SHA-256 of each 16 KiB block of `data` (the last block may be short). */
export function leafHashes(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let o = 0; o < data.length; o += BLOCK_SIZE) out.push(sha256(data.subarray(o, o + BLOCK_SIZE)))
  return out
}

/**
 * Root of a file from its piece layer (32 bytes per piece, each the root of `pieceLength / 16 KiB`
 * leaves), padded with the hash of an all-zero piece subtree, as BEP 52.
 */
export function pieceLayerRoot(layer: Uint8Array, pieceLength: number): Uint8Array {
  const hashes: Uint8Array[] = []
  for (let o = 0; o + 32 <= layer.length; o += 32) hashes.push(layer.subarray(o, o + 32))
  const depth = Math.log2(pieceLength / BLOCK_SIZE)
  return merkleRoot(hashes, nextPowerOfTwo(hashes.length), padHash(depth))
}

/** Whether a piece layer hashes to `root` (BEP 52 validation of `piece layers`). */
export function verifyPieceLayer(layer: Uint8Array, pieceLength: number, root: Uint8Array): boolean {
  return layer.length % 32 === 0 && equalBytes(pieceLayerRoot(layer, pieceLength), root)
}

/**
 * Verifies one piece of a v2 file: hashes its blocks and compares the subtree root with the piece
 * layer entry (or with the file's pieces root when the file is one piece or less).
 */
export function verifyPiece(data: Uint8Array, expected: { root: Uint8Array; leafCount: number }): boolean {
  return equalBytes(blockRoot(data, expected.leafCount), expected.root)
}

/** @internal Concatenation helper re-exported for layer building. */
export const joinHashes = concatBytes
