import type { HashPool, PieceSpec } from '@p2p/metainfo'

/** The outcome of one piece's hash check (the integrity log entry). */
export interface PieceCheck {
  /** Whether the piece matched. */
  ok: boolean
  /** The hash used: v2 (SHA-256 merkle) when the torrent has it, else v1 (SHA-1). */
  algorithm: 'sha1' | 'sha256'
  /** Expected hash, hex. */
  expected: string
  /** Computed hash, hex. */
  got: string
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * Checks `data` (the piece's bytes, `spec.length` long) against its expected hash on the hash pool's
 * worker threads: SHA-256 merkle root of 16 KiB leaves when the spec has a v2 hash (hybrid picks v2),
 * SHA-1 otherwise.
 */
export async function verifyPiece(
  pool: HashPool,
  spec: PieceSpec,
  data: Uint8Array,
  options: { transfer?: boolean } = {},
): Promise<PieceCheck> {
  if (spec.sha256) {
    // Only the file's bytes are in the merkle tree (pad bytes are not): hash the first `length` bytes.
    const length = (spec.sha256 as { length?: number }).length ?? data.length
    const part = data.subarray(0, length)
    const got = await pool.pieceRootSha256(part, spec.sha256.leafCount, { transfer: movable(part, options) })
    const expected = spec.sha256.root
    return { ok: equal(got, expected), algorithm: 'sha256', expected: hex(expected), got: hex(got) }
  }
  if (!spec.sha1) throw new TypeError(`piece ${spec.index} has no hash`)
  const got = await pool.digest('sha1', data, { transfer: movable(data, options) })
  return { ok: equal(got, spec.sha1), algorithm: 'sha1', expected: hex(spec.sha1), got: hex(got) }
}

/** The buffer may be moved to the worker only when the caller allows it and the view covers it whole. */
function movable(data: Uint8Array, options: { transfer?: boolean }): boolean {
  return options.transfer === true && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Checks a v1 piece that is already written: the hash worker reads its bytes from `segments` (the
 * piece's place in the files) into a buffer it reuses, so the piece's memory is free once written.
 */
export async function verifyPieceOnDisk(
  pool: HashPool,
  spec: PieceSpec,
  segments: { path: string; position: number; length: number }[],
): Promise<PieceCheck> {
  if (!spec.sha1) throw new TypeError(`piece ${spec.index} has no v1 hash`)
  const { sha1 } = await pool.hashFileSegments(segments, { pieceLength: spec.length, sha1: true })
  if (!sha1 || sha1.length !== 20) throw new TypeError(`no SHA-1 for piece ${spec.index}`)
  return { ok: equal(sha1, spec.sha1), algorithm: 'sha1', expected: hex(spec.sha1), got: hex(sha1) }
}
