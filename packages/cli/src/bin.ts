#!/usr/bin/env node
import { main } from './main.js'

const controller = new AbortController()
let signals = 0
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // First signal: stop cleanly. Second: the user means it.
    if (++signals > 1) process.exit(130)
    controller.abort(new Error(`received ${sig}`))
  })
}
main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code
})
