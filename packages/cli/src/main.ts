import type { CommandIo } from './command.js'
import { commands } from './commands/index.js'
import { CliError, EXIT_CODES } from './errors.js'
import { VERSION } from './version.js'

const HELP = async () => {
  const names = Object.keys(commands).sort()
  const width = Math.max(0, ...names.map((n) => n.length))
  const loaded = await Promise.all(names.map((n) => commands[n]!()))
  return [
    'usage: p2p <command> [options]',
    '',
    'commands:',
    ...names.map((n, i) => `  ${n.padEnd(width)}  ${loaded[i]!.summary}`),
    '',
    "run 'p2p <command> --help' for a command's options",
  ].join('\n')
}

/**
 * Runs the `p2p` command line with `argv` (without `node` and the script) and resolves with the
 * exit code. Errors are printed as one line: `p2p: <message> (<code>)`.
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${VERSION}\n`)
    return 0
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${await HELP()}\n`)
    return name === undefined ? EXIT_CODES.CLI_USAGE : 0
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined
  try {
    if (!load) throw new CliError('CLI_USAGE', `unknown command ${JSON.stringify(name)}; run 'p2p --help'`)
    const command = await load()
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${command.usage}\n`)
      return 0
    }
    return await command.run(rest, io)
  } catch (err) {
    const e = err as Error & { code?: unknown }
    const code = typeof e.code === 'string' ? e.code : 'CLI_FAILED'
    io.stderr.write(`p2p: ${e.message} (${code})\n`)
    return err instanceof CliError ? EXIT_CODES[err.code] : EXIT_CODES.CLI_FAILED
  }
}
