// `pnpm demo`: the toolkit's main job. Runs `p2p demo` (a tracker, a seeder and leechers as separate
// processes on 127.0.0.1, progress bars, SHA-256 integrity summary); extra arguments go to it.
import { spawnSync } from 'node:child_process'

const run = spawnSync(process.execPath, ['scripts/p2p.mjs', 'demo', ...process.argv.slice(2)], {
  stdio: 'inherit',
})
process.exit(run.status ?? (run.signal ? 130 : 1))
