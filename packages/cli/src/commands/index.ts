import type { Command } from '../command.js'
import { demo } from './demo.js'
import { lab } from './lab.js'

/**
 * Every `p2p` subcommand by name. Each lives in its own file under `commands/`; add a line here to
 * register one.
 */
export const commands: Record<string, Command> = {
  demo,
  lab,
}
