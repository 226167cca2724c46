import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Command, intFlag, parseFlags } from '../command.js'
import { type DemoCommands, runDemo } from '../demo-run.js'
import { CliError } from '../errors.js'
import { formatBytes } from '../format.js'
import { formatIntegrity } from '../integrity.js'
import { createProgressView } from '../progress.js'
import { commands } from './index.js'

/** The subcommands the demo runs as child processes. */
const NEEDED = ['tracker', 'seed', 'download'] as const

/** Where the demo's peers listen. */
const LOCAL = ['--host', '127.0.0.1', '--port', '0']

/** Invocations of this same `p2p` binary for each role, all on 127.0.0.1. */
function selfCommands(bin: string): DemoCommands {
  const p2p = (...args: string[]) => ({ command: process.execPath, args: [bin, ...args] })
  return {
    tracker: () => p2p('tracker', '--host', '127.0.0.1'),
    // Bound to 127.0.0.1, their local peer discovery stays on the loopback interface too.
    seed: (file, announce) => p2p('seed', file, '--tracker', announce, ...LOCAL),
    download: (magnet, out, announce) =>
      p2p('download', magnet, '-o', out, '--tracker', announce, ...LOCAL, '--json'),
  }
}

/** `p2p demo`: a tracker, a seeder and N leechers as separate processes, then an integrity summary. */
export const demo: Command = {
  summary: 'demo swarm on 127.0.0.1: tracker, seeder, N leechers, SHA-256 integrity summary',
  usage: `usage: p2p demo [--peers N] [--size MiB] [--keep]

Creates a random file, starts a tracker, one seeder and N leechers (default 3) as separate
processes on 127.0.0.1, shows their progress and ends with each leecher's SHA-256 check against
the original. Exits 0 only if every copy matches.
  --peers N   leechers, 1..20 (default 3)
  --size N    file size in MiB, 1..4096 (default 32)
  --keep      keep the working directory (printed) instead of deleting it`,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      { peers: { type: 'string' }, size: { type: 'string' }, keep: { type: 'boolean', default: false } },
      false,
    )
    const peers = intFlag('peers', values.peers as string | undefined, 3, 1, 20)
    const size = intFlag('size', values.size as string | undefined, 32, 1, 4096) * 2 ** 20
    const missing = NEEDED.filter((n) => !commands[n])
    if (missing.length) {
      throw new CliError(
        'CLI_FAILED',
        `p2p demo needs the ${missing.join(', ')} command(s), not in this build`,
      )
    }
    const bin = process.argv[1]
    if (!bin) throw new CliError('CLI_FAILED', 'cannot find the p2p executable to start the demo peers')
    const dir = await mkdtemp(join(tmpdir(), 'p2p-demo-'))
    const view = createProgressView({ stream: io.stderr })
    io.stdout.write(`demo: ${formatBytes(size)}, 1 seeder, ${peers} leechers, in ${dir}\n`)
    try {
      const r = await runDemo({ dir, size, peers, view, commands: selfCommands(bin), signal: io.signal })
      io.stdout.write(`${formatIntegrity(r.integrity)}\n`)
      return r.ok ? 0 : 1
    } catch (err) {
      if (io.signal.aborted) throw new CliError('CLI_FAILED', 'demo stopped')
      throw new CliError('CLI_FAILED', (err as Error).message, { cause: err })
    } finally {
      if (values.keep) io.stdout.write(`kept: ${dir}\n`)
      else await rm(dir, { recursive: true, force: true })
    }
  },
}
