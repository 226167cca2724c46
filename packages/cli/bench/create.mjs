// Whole-process torrent creation: `p2p create` (the built bin, a fresh node process each time)
// against `mktorrent -t 2` (v1) and python3-libtorrent (hybrid, a fresh python process each time)
// on the same 1 GiB file in page cache, in the same run. Everything is timed from the outside, so
// process start-up, module loading, worker start and file reads all count. Build first
// (`pnpm turbo run build --filter @p2p/cli...`). Env: BENCH_SIZE_MIB (default 1024), BENCH_RUNS
// (default 5; every tool runs once per round, rounds interleaved; ratios on the medians),
// BENCH_PIECE (default 262144).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const PIECE = Number(process.env.BENCH_PIECE ?? 262144)
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const PYTHON = '/usr/bin/python3'
const dir = mkdtempSync(join(tmpdir(), 'cli-create-bench-'))
const file = join(dir, 'bench.bin')
const out = join(dir, 'out.torrent')

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const h = Math.floor(s.length / 2)
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

/**
 * Runs a command to completion under GNU time; returns its wall time and CPU time (user + system,
 * all threads) in seconds. Throws when it fails.
 */
function timed(cmd, args) {
  rmSync(out, { force: true })
  const t = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  const wall = (performance.now() - t) / 1000
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr)
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : Number.NaN }
}

try {
  const block = randomBytes(64 * 1024 * 1024)
  const fd = openSync(file, 'w')
  for (let off = 0; off < SIZE; off += block.length)
    writeSync(fd, block, 0, Math.min(block.length, SIZE - off))
  closeSync(fd)
  readFileSync(file) // page cache

  const p2p = (format) => () =>
    timed(process.execPath, [
      BIN,
      'create',
      file,
      '--format',
      format,
      '--piece-length',
      String(PIECE),
      '--threads',
      '2',
      '--no-date',
      '-o',
      out,
    ])
  const runners = [
    ['p2p create --format v1', 'p2p-v1', p2p('v1')],
    ['p2p create --format hybrid', 'p2p-hybrid', p2p('hybrid')],
    ['node -e 0 (start-up floor)', 'node', () => timed(process.execPath, ['-e', '0'])],
    ['p2p --help (start-up + imports)', 'help', () => timed(process.execPath, [BIN, '--help'])],
  ]
  if (spawnSync('mktorrent', ['-v'], { stdio: 'ignore' }).error === undefined) {
    const l = String(Math.log2(PIECE))
    runners.push(['mktorrent -t 2', 'mk', () => timed('mktorrent', ['-t', '2', '-l', l, '-o', out, file])])
  } else console.error('mktorrent not installed: v1 ratio not measured')
  if (spawnSync(PYTHON, ['-c', 'import libtorrent'], { stdio: 'ignore' }).status === 0) {
    const script = `import libtorrent as lt, sys
fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, ${PIECE})
lt.set_piece_hashes(ct, sys.argv[2])
open(sys.argv[3], 'wb').write(lt.bencode(ct.generate()))`
    runners.push([
      'python3-libtorrent hybrid (whole process)',
      'lt',
      () => timed(PYTHON, ['-c', script, file, dir, out]),
    ])
  } else console.error('python3-libtorrent not installed: hybrid ratio not measured')

  for (const [, , fn] of runners) fn() // warm-up round (binaries and modules into page cache)
  const loadBefore = load()
  const samples = new Map(runners.map(([, key]) => [key, []]))
  const cpuSamples = new Map(runners.map(([, key]) => [key, []]))
  for (let round = 0; round < RUNS; round++) {
    for (const [, key, fn] of runners) {
      const { wall, cpu } = fn()
      samples.get(key).push(wall)
      cpuSamples.get(key).push(cpu)
    }
  }
  const loadAfter = load()
  const m = Object.fromEntries([...samples].map(([k, xs]) => [k, median(xs)]))
  const cpu = Object.fromEntries([...cpuSamples].map(([k, xs]) => [k, median(xs)]))

  console.log(
    `\n${SIZE / 2 ** 30} GiB file in page cache, piece ${PIECE / 1024} KiB, whole processes, ${RUNS} interleaved rounds, ` +
      `${availableParallelism()} cores, load average ${loadBefore} before, ${loadAfter} after\n`,
  )
  console.log(
    '| command | median s | min s | CPU s (median) | every round (wall s) |\n|---|---:|---:|---:|---|',
  )
  for (const [name, key] of runners) {
    const xs = samples.get(key)
    console.log(
      `| ${name} | ${m[key].toFixed(3)} | ${Math.min(...xs).toFixed(3)} | ${cpu[key].toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(' ')} |`,
    )
  }
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL')
  console.log('\nCPU-time ratios on the medians (less sensitive to a loaded machine):')
  if (m.mk)
    console.log(
      `  p2p create --format v1 / mktorrent -t 2             = ${(cpu['p2p-v1'] / cpu.mk).toFixed(2)}`,
    )
  if (m.lt)
    console.log(
      `  p2p create --format hybrid / libtorrent hybrid      = ${(cpu['p2p-hybrid'] / cpu.lt).toFixed(2)}`,
    )
  console.log('\nwall-time ratios on the medians (the targets):')
  if (m.mk) {
    const r = m['p2p-v1'] / m.mk
    console.log(
      `  p2p create --format v1 / mktorrent -t 2             = ${r.toFixed(2)}  target <= 1.0  ${verdict(r <= 1)}`,
    )
  }
  if (m.lt) {
    const r = m['p2p-hybrid'] / m.lt
    console.log(
      `  p2p create --format hybrid / libtorrent hybrid      = ${r.toFixed(2)}  target <= 0.6  ${verdict(r <= 0.6)}`,
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
