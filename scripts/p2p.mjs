// `pnpm p2p ...` from the repo root: builds the CLI (and what it depends on) if it has not been built, then runs it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
if (!existsSync(bin)) {
  const build = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@p2p/cli...', '--output-logs=errors-only'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  if (build.status !== 0) process.exit(build.status ?? 1)
}
// The executable itself, as an installed `p2p` runs: its launcher line gives node its startup flags.
const run = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' })
process.exit(run.status ?? (run.signal ? 130 : 1))
