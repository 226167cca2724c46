import { randomBytes } from 'node:crypto'
import { systemClock } from '@p2p/peer-wire'
import { probeOutputDir } from './output-dir.js'
import type { SwarmRuntime } from './runtime.js'
import { Storage } from './storage.js'
import { tcpTransport } from './tcp-transport.js'

/**
 * The real runtime: system clock, `Math.random` (and `crypto.randomBytes` for secrets), TCP, the global
 * `fetch`, files on disk.
 */
export const systemRuntime: SwarmRuntime = {
  clock: systemClock,
  random: Math.random,
  randomBytes: (n) => randomBytes(n),
  transport: tcpTransport,
  fetch: (url, init) => fetch(url, init),
  storage: (options) => new Storage(options),
  prepareDir: probeOutputDir,
  checks: false,
}
