// Runs every package's tests in one vitest run and ends with the plain summary line CI reads:
// "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const results = '.vitest-results.json'
rmSync(results, { force: true })
const run = spawnSync(
  'pnpm',
  [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
  },
)
if (!existsSync(results)) {
  console.log('tests: 0 passed, 1 failed')
  process.exit(run.status || 1)
}
const r = JSON.parse(readFileSync(results, 'utf8'))
const failed = r.numFailedTests + (r.numFailedTestSuites ?? 0)
console.log(
  `tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
)
process.exit(run.status === 0 && failed === 0 ? 0 : 1)
