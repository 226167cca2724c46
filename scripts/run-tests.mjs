// Runs every test in two vitest passes and ends with the plain summary line CI reads
// ("tests: N passed, N failed, N skipped"):
//   1. unit and in-process tests, files in parallel;
//   2. `*.interop.test.ts` files (real clients, trackers, browsers), one file at a time, so that
//      two real swarms never compete for the 2 CPU cores and time out.
// Extra arguments are passed to both passes (e.g. a package path to filter).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const extra = process.argv.slice(2)
const passes = [
  { name: 'unit', args: ['--exclude', '**/*.interop.test.ts', '--exclude', '**/node_modules/**'] },
  { name: 'interop', args: ['--no-file-parallelism', '--passWithNoTests', 'interop.test'] },
]
const total = { passed: 0, failed: 0, skipped: 0 }
let ok = true
for (const pass of passes) {
  const results = `.vitest-${pass.name}.json`
  rmSync(results, { force: true })
  console.log(`\n=== ${pass.name} tests ===`)
  const run = spawnSync(
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}`,
      ...pass.args,
      ...extra,
    ],
    { stdio: 'inherit' },
  )
  if (!existsSync(results)) {
    ok = false
    total.failed++
    continue
  }
  const r = JSON.parse(readFileSync(results, 'utf8'))
  const suiteFailures = r.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length
  total.passed += r.numPassedTests
  total.failed += r.numFailedTests + suiteFailures
  total.skipped += r.numPendingTests + r.numTodoTests
  if (run.status !== 0) ok = false
}
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(ok && total.failed === 0 ? 0 : 1)
