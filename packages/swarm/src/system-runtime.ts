import { systemClock } from '@p2p/peer-wire'
import { probeOutputDir } from './output-dir.js'
import type { SwarmRuntime } from './runtime.js'
import { Storage } from './storage.js'
import { tcpTransport } from './tcp-transport.js'

/** The real runtime: system clock, `Math.random`, TCP, files on disk. */
export const systemRuntime: SwarmRuntime = {
  clock: systemClock,
  random: Math.random,
  transport: tcpTransport,
  storage: (options) => new Storage(options),
  prepareDir: probeOutputDir,
  checks: false,
}
