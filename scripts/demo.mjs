// `pnpm demo`: the toolkit's main job. Until the swarm lands it runs the bencode round-trip example.
import { spawnSync } from 'node:child_process'

const run = spawnSync('node', ['examples/bencode-roundtrip/src/main.mjs', ...process.argv.slice(2)], {
  stdio: 'inherit',
})
process.exit(run.status ?? 1)
