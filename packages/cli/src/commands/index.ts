import type { Command } from '../command.js'
import { create } from './create.js'
import { demo } from './demo.js'
import { download } from './download.js'
import { info } from './info.js'
import { lab } from './lab.js'
import { seed } from './seed.js'
import { tracker } from './tracker.js'

/**
 * Every `p2p` subcommand by name. Each lives in its own file under `commands/`; add a line here to
 * register one.
 */
export const commands: Record<string, Command> = {
  create,
  demo,
  download,
  info,
  lab,
  seed,
  tracker,
}
