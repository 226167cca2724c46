// The connection mix of simulated swarms: half the simulated clients run MSE with a level drawn from
// the seed, so RC4, plaintext-over-MSE and plain connections all occur. Prints the counts and shares
// over BENCH_SEEDS seeds (default 50), and the simulator's speed in events per wall-clock second.
// Build first (`pnpm turbo run build --filter @p2p/sim...`).
import { performance } from 'node:perf_hooks'
import { simulate } from '../dist/index.js'

const SEEDS = Number(process.env.BENCH_SEEDS ?? 50)
const total = { rc4: 0, 'plaintext-mse': 0, plain: 0 }
let events = 0
const started = performance.now()
for (let seed = 1; seed <= SEEDS; seed++) {
  const r = await simulate({ seed })
  if (!r.ok) console.log(`seed ${seed} failed: ${r.failures.join('; ')}`)
  events += r.events
  for (const k of Object.keys(total)) total[k] += r.connections[k]
}
const seconds = (performance.now() - started) / 1000
const all = total.rc4 + total['plaintext-mse'] + total.plain
console.log(
  `${SEEDS} simulated swarms, ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} events/s)`,
)
for (const [kind, n] of Object.entries(total)) {
  console.log(`  ${kind.padEnd(14)} ${String(n).padStart(6)} connections  ${((100 * n) / all).toFixed(1)} %`)
}
