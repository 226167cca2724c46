// RC4 throughput: ours (TypeScript, in place, `Rc4.update`) against OpenSSL's RC4 through Node's
// crypto (only there with --openssl-legacy-provider; `cipher.update` returns a new buffer per call),
// measured in the same run, interleaved, best of ROUNDS. Needs the built package (dist).
// The swarm transfer with RC4 against libtorrent is `pnpm --filter @p2p/swarm bench:mse`.
import { spawnSync } from 'node:child_process'
import { Rc4 } from '../dist/index.js'

const MIB = Number(process.env.BENCH_MIB ?? 256)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CHUNK = 64 * 1024

function ours() {
  const rc4 = new Rc4(Buffer.alloc(20, 7))
  const buf = Buffer.allocUnsafeSlow(CHUNK).fill(1)
  const t0 = performance.now()
  for (let done = 0; done < MIB * 2 ** 20; done += CHUNK) rc4.update(buf)
  return (MIB * 2 ** 20) / 1e6 / ((performance.now() - t0) / 1000)
}

const OPENSSL = `
const { createCipheriv } = require('node:crypto')
const c = createCipheriv('rc4', Buffer.alloc(20, 7), null)
const buf = Buffer.allocUnsafeSlow(${CHUNK}).fill(1)
const t0 = performance.now()
for (let done = 0; done < ${MIB} * 2 ** 20; done += ${CHUNK}) c.update(buf)
console.log((${MIB} * 2 ** 20) / 1e6 / ((performance.now() - t0) / 1000))
`

function openssl() {
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', OPENSSL], { encoding: 'utf8' })
  const v = Number(r.stdout.trim())
  return Number.isFinite(v) && v > 0 ? v : undefined
}

let best = { ours: 0, openssl: 0 }
for (let r = 0; r < ROUNDS; r++) {
  best = { ours: Math.max(best.ours, ours()), openssl: Math.max(best.openssl, openssl() ?? 0) }
}
console.log(`RC4 over ${MIB} MiB in ${CHUNK / 1024} KiB chunks, best of ${ROUNDS}:`)
console.log(`ours (TypeScript, in place)                ${best.ours.toFixed(0).padStart(6)} MB/s`)
if (best.openssl > 0) {
  console.log(`OpenSSL via node --openssl-legacy-provider ${best.openssl.toFixed(0).padStart(6)} MB/s`)
  console.log(`ours/OpenSSL = ${(best.ours / best.openssl).toFixed(2)}x`)
} else console.log('OpenSSL RC4: not available (no legacy provider)')
