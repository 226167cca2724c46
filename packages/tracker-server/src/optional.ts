import { createRequire } from 'node:module'
import { TrackerServerError } from './errors.js'

const load = createRequire(import.meta.url)

/**
 * Loads an optional peer dependency (`ioredis`, `prom-client`) on first use, so a tracker without
 * Redis or metrics (and the `p2p` command) installs without them. Throws
 * `TRACKER_SERVER_MISSING_DEPENDENCY` naming the package to install when it is missing.
 */
export function loadOptional<T>(name: 'ioredis' | 'prom-client', feature: string): T {
  try {
    return load(name) as T
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err
    throw new TrackerServerError(
      'TRACKER_SERVER_MISSING_DEPENDENCY',
      `${feature} needs the optional package ${name}, which is not installed: run \`npm install ${name}\` ` +
        `in your project (next to a global @p2p/cli: \`npm install -g ${name}\`)`,
      { cause: err },
    )
  }
}
