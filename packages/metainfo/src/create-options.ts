import { fail } from './errors.js'
import type { CreateOptions, TorrentVersion } from './types.js'

/** createTorrent's options that decide the kind of torrent, once checked. */
export interface TorrentKind {
  /** compat `'transmission-3'`: v1 only, no empty files, no BEP 47 attributes, `private` always written. */
  transmission: boolean
  version: TorrentVersion
}

/** @throws MetainfoError `METAINFO_ABORTED` if `signal` is aborted. */
export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) fail('METAINFO_ABORTED', 'torrent creation aborted', signal.reason)
}

/**
 * Checks `threads`, `compat` and `version` (in that order) and applies the defaults of `compat`.
 *
 * @throws MetainfoError `METAINFO_INVALID_OPTION`.
 */
export function torrentKind(options: CreateOptions): TorrentKind {
  const threads = options.threads
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    fail('METAINFO_INVALID_OPTION', `threads must be an integer 1..64, got ${threads}`)
  }
  const compat = options.compat ?? 'libtorrent'
  if (compat !== 'libtorrent' && compat !== 'transmission-3') {
    fail('METAINFO_INVALID_OPTION', `compat must be 'libtorrent' or 'transmission-3', got ${String(compat)}`)
  }
  const transmission = compat === 'transmission-3'
  const version: TorrentVersion = options.version ?? (transmission ? 1 : 'hybrid')
  if (version !== 1 && version !== 2 && version !== 'hybrid') {
    fail('METAINFO_INVALID_OPTION', `version must be 1, 2 or 'hybrid', got ${String(version)}`)
  }
  if (transmission && version !== 1)
    fail('METAINFO_INVALID_OPTION', "compat 'transmission-3' makes v1 torrents only")
  return { transmission, version }
}
