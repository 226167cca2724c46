import type { CommandIo } from './command.js'

/**
 * A writer of a command's result lines on stdout: with `--json` each is one JSON object (`type` first,
 * then its fields), else its human text (which may span several lines).
 */
export function stdoutRecords(
  io: CommandIo,
  json: boolean,
): (type: string, fields: Record<string, unknown>, text: string) => void {
  return (type, fields, text) => {
    io.stdout.write(json ? `${JSON.stringify({ type, ...fields })}\n` : `${text}\n`)
  }
}
