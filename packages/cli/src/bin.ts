#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { main } from './main.js'

// A transfer makes short-lived objects per 16 KiB block, a few of which live long enough to reach
// V8's old generation; by default it grows to about 4x its live size before a full GC, which
// made 20 MiB of a download's peak RSS. Growing it by 30 % costs a few 2-6 ms GCs per GiB.
setFlagsFromString('--heap-growing-percent=30')
// The young generation starts at 1 MiB per semi-space and V8 doubles it once as much has survived
// scavenges, which loading the modules alone does: 2 MiB more RSS for the whole run. Kept at its
// start size, a download scavenges more often (each scavenge is short: little survives per block).
setFlagsFromString('--semi-space-growth-factor=1')

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
