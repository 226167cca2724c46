// Helpers for the UDP load generator udp-announce-load.mjs (info-hash source, JSON report line).

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
// info hashes: from a file of 40-hex lines (opentracker's Debian build is whitelist-only), else random per request
export function hashSource(file) {
  if (!file || file === '-') return () => randomBytes(20)
  const list = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^[0-9a-f]{40}$/i.test(l.trim()))
    .map((l) => Buffer.from(l.trim(), 'hex'))
  return () => list[(Math.random() * list.length) | 0]
}
export function report(label, { ok, errors, timeouts, lat, seconds, conc }) {
  lat.sort((a, b) => a - b)
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN)
  const r = {
    target: label,
    concurrency: conc,
    seconds: +seconds.toFixed(2),
    announces: ok,
    announces_per_s: Math.round(ok / seconds),
    errors,
    timeouts,
    p50_ms: +q(0.5).toFixed(2),
    p99_ms: +q(0.99).toFixed(2),
    max_ms: +(lat.at(-1) ?? NaN).toFixed(2),
  }
  console.log(JSON.stringify(r))
  return r
}
