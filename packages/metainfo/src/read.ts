import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { fail, MetainfoError } from './errors.js'

/** Default largest .torrent read: 80,000,000 bytes (libtorrent's `max_buffer_size`, as {@link parseTorrent}). */
export const DEFAULT_MAX_TORRENT_SIZE = 80_000_000

/** Options of {@link readTorrentFile}. */
export interface ReadTorrentOptions {
  /** Largest accepted file in bytes. Default {@link DEFAULT_MAX_TORRENT_SIZE}. */
  maxSize?: number
}

/**
 * Reads a .torrent file with its size bounded before reading: the file is opened without blocking
 * (a FIFO never stalls the open), refused unless it is a regular file no larger than `maxSize`,
 * and at most `maxSize + 1` bytes are read (a file that grows after the check is still refused).
 *
 * @example
 * ```ts
 * const meta = parseTorrent(await readTorrentFile('ubuntu.torrent'))
 * ```
 * @throws MetainfoError `METAINFO_NOT_A_FILE` (a directory, device, FIFO or socket),
 *   `METAINFO_TOO_LARGE`, `METAINFO_IO` (the `cause` is the system error).
 */
export async function readTorrentFile(path: string, options: ReadTorrentOptions = {}): Promise<Uint8Array> {
  const maxSize = options.maxSize ?? DEFAULT_MAX_TORRENT_SIZE
  if (!(Number.isSafeInteger(maxSize) && maxSize >= 0))
    fail('METAINFO_INVALID_OPTION', `maxSize must be a non-negative integer, got ${maxSize}`)
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    fail('METAINFO_IO', `cannot read ${path}: ${(err as Error).message}`, err)
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) fail('METAINFO_NOT_A_FILE', `${path} is not a regular file`)
    if (st.size > maxSize)
      fail('METAINFO_TOO_LARGE', `${path} is ${st.size} bytes, more than maxSize ${maxSize}`)
    // one byte more than stat said, to see growth; grown (up to maxSize + 1) while it keeps growing
    let buf = new Uint8Array(st.size + 1)
    let n = 0
    for (;;) {
      if (n === buf.length) {
        if (n > maxSize) break
        const bigger = new Uint8Array(Math.min(maxSize + 1, n * 2))
        bigger.set(buf)
        buf = bigger
      }
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n)
      if (bytesRead === 0) break
      n += bytesRead
    }
    if (n > maxSize) fail('METAINFO_TOO_LARGE', `${path} is more than maxSize ${maxSize} bytes`)
    return buf.subarray(0, n)
  } catch (err) {
    if (err instanceof MetainfoError) throw err
    fail('METAINFO_IO', `cannot read ${path}: ${(err as Error).message}`, err)
  } finally {
    await handle.close()
  }
}
