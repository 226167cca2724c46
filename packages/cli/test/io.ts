import { PassThrough } from 'node:stream'
import type { CommandIo } from '@p2p/cli'

/** A CommandIo over in-memory streams, with what was written to each. */
export function io(): { io: CommandIo; out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b) => (out += b))
  stderr.on('data', (b) => (err += b))
  return { io: { stdout, stderr, signal: new AbortController().signal }, out: () => out, err: () => err }
}
