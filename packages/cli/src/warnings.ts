import type { SwarmWarning, Torrent } from '@p2p/swarm'
import type { ProgressView } from './progress.js'

/** Socket errors of a peer that went away: routine in a swarm, so debug level (`--verbose`). */
const PEER_RESETS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UTP_RESET',
  'UTP_TIMEOUT',
])

/** Whether a swarm warning is a peer's connection being reset (debug level, not a warning). */
export function isPeerReset(w: SwarmWarning): boolean {
  const code = (w.error as { code?: unknown } | undefined)?.code
  return w.peer !== undefined && typeof code === 'string' && PEER_RESETS.has(code)
}

/** Logs a torrent warning as `warning: ...`, or as `debug: ...` with `verbose` for a peer reset. */
export function logWarning(view: ProgressView, w: SwarmWarning, verbose: boolean): void {
  if (!isPeerReset(w)) view.log(`warning: ${w.message}`, 'warning')
  else if (verbose) view.log(`debug: ${w.message}`, 'debug')
}

/** Logs a torrent's warnings (peer resets only with `verbose`) and errors on `view`. */
export function logTorrentProblems(view: ProgressView, t: Torrent, verbose: boolean): void {
  t.on('warning', (w) => logWarning(view, w, verbose))
  t.on('error', (e) => view.log(`error: ${e.message}`, 'error'))
}
