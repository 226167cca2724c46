import type { Torrent } from '@p2p/swarm'
import { CliError, interrupted } from '../errors.js'
import { missingFile } from '../file-selection.js'
import type { ProgressView } from '../progress.js'
import { NO_SOURCE_HINT } from './handoff.js'

/** What `p2p download` asked for that decides whether a run can still finish. */
export interface DownloadAsk {
  /** The torrent file or magnet link given. */
  input: string
  /** `--peer` addresses. */
  peers: { host: string; port: number }[]
  /** `--files`. */
  files: number[] | undefined
  /** `--priority`, per file. */
  priorities: number[] | undefined
}

/** Why a download run ends, watched from the moment the torrent is added. */
export interface DownloadOutcome {
  /** Settles when the run must end before the download completes (error, no tracker, bad index). */
  readonly ended: Promise<void>
  /**
   * Throws the reason the run ended early, if one: a bad file index, the torrent's error, every
   * tracker failing with nobody else to ask, Ctrl-C, or a stop before completion.
   * @throws {CliError} `CLI_USAGE`, `CLI_FAILED`, `CLI_UNREACHABLE`, `CLI_INTERRUPTED`
   */
  check(signal: AbortSignal): void
}

/**
 * Listens to `t` for what ends a download early and logs what a user should know meanwhile (bans,
 * no way to find peers). A file index the torrent lacks is a usage error, known at once for a
 * .torrent and once the metadata arrives for a magnet.
 * @throws {CliError} `CLI_USAGE` at once when the torrent's metadata already shows a bad file index
 */
export function watchDownload(t: Torrent, ask: DownloadAsk, view: ProgressView): DownloadOutcome {
  const { files, priorities } = ask
  let badIndex = t.metainfo ? missingFile(t.metainfo.files.length, files, priorities) : undefined
  if (badIndex) throw badIndex
  let fatal: Error | undefined
  let unreachable: string | undefined
  let end = () => {}
  const ended = new Promise<void>((r) => {
    end = r
  })
  t.once('metadata', (m) => {
    badIndex ??= missingFile(m.files.length, files, priorities)
    if (badIndex) end()
  })
  t.on('warning', (w) => {
    // Every tracker failed and nobody else to ask: say so instead of waiting forever.
    const code = (w.error as { code?: string } | undefined)?.code
    const magnetPeers = ask.input.startsWith('magnet:') && /[?&]x\.pe=/i.test(ask.input)
    if (code === 'TRACKER_ALL_FAILED' && ask.peers.length === 0 && !magnetPeers && t.stats().peers === 0) {
      unreachable = w.message
      end()
    }
  })
  t.on('error', (e) => {
    fatal = e
    end()
  })
  // Nothing to ask for peers: say how to give it some instead of waiting silently at 0 %.
  t.on('noPeers', (e) => {
    if (e.trackers === 0 && e.knownPeers === 0 && e.webSeeds === 0) view.log(NO_SOURCE_HINT)
  })
  t.on('ban', (b) => view.log(`banned ${b.peer.host}:${b.peer.port}: ${b.reason}`))
  return {
    ended,
    check(signal) {
      if (badIndex) throw badIndex
      if (fatal) throw new CliError('CLI_FAILED', fatal.message, { cause: fatal })
      if (unreachable && !t.complete) throw new CliError('CLI_UNREACHABLE', unreachable)
      if (!t.complete && signal.aborted)
        throw interrupted('run the same command again to continue (resume data kept)')
      if (!t.complete)
        throw new CliError('CLI_FAILED', 'download stopped before it completed (resume data kept)')
    },
  }
}
