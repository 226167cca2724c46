import { fail } from './errors.js'
import { BLOCK_SIZE } from './merkle.js'

/**
 * libtorrent-style automatic piece length: the smallest power of two >= 16 KiB that keeps the
 * torrent under about 1500 pieces, capped at 16 MiB.
 */
export function defaultPieceLength(totalSize: number): number {
  let pl = BLOCK_SIZE
  while (pl < 16 * 1024 * 1024 && totalSize / pl > 1500) pl *= 2
  return pl
}

/**
 * transmission-create 3.00's automatic piece length (`bestPieceSize`): 32 KiB below 50 MiB, then
 * 64 KiB, 128 KiB (150 MiB), 256 KiB (350 MiB), 512 KiB (512 MiB), 1 MiB (1 GiB), 2 MiB (2 GiB
 * and more).
 */
export function transmission3PieceLength(totalSize: number): number {
  const MiB = 1024 * 1024
  const steps: [number, number][] = [
    [2048 * MiB, 2 * MiB],
    [1024 * MiB, MiB],
    [512 * MiB, 512 * 1024],
    [350 * MiB, 256 * 1024],
    [150 * MiB, 128 * 1024],
    [50 * MiB, 64 * 1024],
  ]
  for (const [atLeast, pieceLength] of steps) if (totalSize >= atLeast) return pieceLength
  return 32 * 1024
}

/**
 * The piece length createTorrent uses: `given`, else the automatic one of libtorrent or of
 * transmission-create 3.00.
 *
 * @throws MetainfoError `METAINFO_INVALID_OPTION` unless a power of two from 16 KiB to 512 MiB.
 */
export function choosePieceLength(
  given: number | undefined,
  transmission: boolean,
  contentSize: number,
): number {
  const pieceLength = given ?? (transmission ? transmission3PieceLength : defaultPieceLength)(contentSize)
  if (
    !Number.isSafeInteger(pieceLength) ||
    pieceLength < BLOCK_SIZE ||
    (pieceLength & (pieceLength - 1)) !== 0 ||
    pieceLength > 2 ** 29
  ) {
    fail(
      'METAINFO_INVALID_OPTION',
      `pieceLength must be a power of two from 16 KiB to 512 MiB, got ${pieceLength}`,
    )
  }
  return pieceLength
}
