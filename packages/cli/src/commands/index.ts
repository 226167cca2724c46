import type { Command } from '../command.js'

/**
 * Every `p2p` subcommand by name, as a loader: a command's module (and the packages it pulls in:
 * the swarm, the tracker server, the lab) is loaded only when that command runs, so `p2p download`
 * does not carry the tracker's or the lab's dependencies. Each lives in its own file under
 * `commands/`; add a line here to register one.
 */
export const commands: Record<string, () => Promise<Command>> = {
  create: async () => (await import('./create.js')).create,
  demo: async () => (await import('./demo.js')).demo,
  dht: async () => (await import('./dht.js')).dht,
  download: async () => (await import('./download.js')).download,
  info: async () => (await import('./info.js')).info,
  lab: async () => (await import('./lab.js')).lab,
  seed: async () => (await import('./seed.js')).seed,
  serve: async () => (await import('./serve.js')).serve,
  tracker: async () => (await import('./tracker.js')).tracker,
}
