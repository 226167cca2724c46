/**
 * The `p2p` command line, also callable in-process with {@link main}.
 * @packageDocumentation
 */
export type { Command, CommandIo } from './command.js'
export { commands } from './commands/index.js'
export { CliError, type CliErrorCode, EXIT_CODES } from './errors.js'
export { main } from './main.js'
