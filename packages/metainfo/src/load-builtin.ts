import { createRequire } from 'node:module'

/**
 * @internal Loads a node built-in module on first use (a process that never needs it does not carry
 * it: node:worker_threads is about 0.5 MiB of RSS).
 */
export const loadBuiltin: (id: string) => unknown = createRequire(import.meta.url)
