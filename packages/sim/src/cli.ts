#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { simulate } from './simulate.js'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})

const one = values.seed !== undefined
const from = Number(one ? values.seed : values.from)
const count = one ? 1 : Number(values.seeds)
if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || count < 1) {
  console.error('usage: pnpm sim [--seeds N] [--from S] | pnpm sim --seed S [--verbose]')
  process.exit(2)
}
async function main(): Promise<void> {
  const started = performance.now()
  let failed = 0
  for (let seed = from; seed < from + count; seed++) {
    const r = await simulate({ seed })
    if (one || values.verbose)
      console.log(
        `seed ${seed}: ${r.ok ? 'ok' : 'FAILED'}, ${r.events} events, ${Math.round(r.virtualMs)} virtual ms (${r.setup})`,
      )
    if (r.ok) continue
    failed++
    console.log(`seed ${seed} failed: ${r.failures.join('; ')}`)
    console.log(`  replay: pnpm sim --seed ${seed}`)
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${count - failed}/${count} seeds ok in ${secs} s`)
  process.exitCode = failed ? 1 : 0
}

void main()
