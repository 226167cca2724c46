import { PassThrough } from 'node:stream'

/** A CommandIo over in-memory streams, with what was written to each. */
export function io() {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (b) => (out += b))
  stderr.on('data', (b) => (err += b))
  return { io: { stdout, stderr, signal: new AbortController().signal }, out: () => out, err: () => err }
}
