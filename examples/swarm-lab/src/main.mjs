// The swarm lab through @p2p/lab's public API: every scenario (or those named on the command line) on
// emulated hosts (network namespaces when root, else 127.0.0.1), then report.html and events.jsonl.
// Run: pnpm --filter @p2p/example-swarm-lab start [scenario ...]
// Environment: LAB_SIZE_MIB (default 64), LAB_PEERS (default 2,5,10), LAB_OUT (default ./lab-out),
// LAB_SUPER_SEED=1 to have a lone seeder super-seed (BEP 16), LAB_DISCOVERY=direct to have the lab tell
// peers about each other instead of our tracker, LAB_REPEATS (default 3) runs of each scenario.
import { runLab, scenarios } from '@p2p/lab'

const names = process.argv.slice(2)
const controller = new AbortController()
process.once('SIGINT', () => controller.abort(new Error('interrupted')))

const result = await runLab({
  scenarios: names.length > 0 ? names : 'all',
  size: Number(process.env.LAB_SIZE_MIB ?? 64) * 2 ** 20,
  peers: (process.env.LAB_PEERS ?? '2,5,10').split(',').map(Number),
  out: process.env.LAB_OUT ?? 'lab-out',
  ...(process.env.LAB_REPEATS && { repeats: Number(process.env.LAB_REPEATS) }),
  superSeed: process.env.LAB_SUPER_SEED === '1',
  discovery: process.env.LAB_DISCOVERY === 'direct' ? 'direct' : 'tracker',
  signal: controller.signal,
  onNote: (line) => console.error(`… ${line}`),
})

console.log(`hosts: ${result.mode} (scenarios available: ${Object.keys(scenarios).join(', ')})`)
for (const r of result.results) {
  for (const table of r.tables) {
    console.log(`\n${table.title}`)
    console.log(table.columns.join(' | '))
    for (const row of table.rows) console.log(row.join(' | '))
  }
}
console.log(`\n${result.lines.join('\n')}`)
console.log(`\nreport: ${result.reportPath}\nevents: ${result.eventsPath}`)
