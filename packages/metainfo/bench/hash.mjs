// Hashing benchmark: a 1 GiB file (in page cache) turned into a torrent by us (v1, hybrid, v2),
// `mktorrent -t 2`, libtorrent (Debian's python3-libtorrent) and the npm `create-torrent`, all in
// the same run, plus `openssl speed -evp sha1` as the raw SHA-1 rate. Build first
// (`pnpm turbo run build --filter @p2p/metainfo`). Env: BENCH_SIZE_MIB (default 1024),
// BENCH_RUNS (default 5: every tool runs once per round, rounds interleaved; the median and the
// minimum are reported, the targets are judged on the median), BENCH_PIECE (default 262144).
// Our hashing pool is warmed up (both workers started) before timing.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createTorrent } from '../dist/index.js'

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const PIECE = Number(process.env.BENCH_PIECE ?? 262144)
const THREADS = 2
const dir = mkdtempSync(join(tmpdir(), 'metainfo-bench-'))
const file = join(dir, 'bench.bin')

function has(cmd, args = ['--help']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const h = Math.floor(s.length / 2)
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

try {
  // content: random 64 MiB repeated (hash cost does not depend on the bytes)
  const block = randomBytes(64 * 1024 * 1024)
  const fd = openSync(file, 'w')
  for (let off = 0; off < SIZE; off += block.length)
    writeSync(fd, block, 0, Math.min(block.length, SIZE - off))
  closeSync(fd)
  readFileSync(file) // page cache
  const rows = []
  const gib = SIZE / 2 ** 30

  let opensslRate
  if (has('openssl', ['version'])) {
    const out = execFileSync('openssl', ['speed', '-evp', 'sha1', '-seconds', '1', '-bytes', '1048576'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const m = /sha1\s+([\d.]+)k/i.exec(out)
    if (m) opensslRate = (Number(m[1]) * 1000) / 1e9 // GB/s, one core
  }

  // every tool runs once per round, rounds interleaved, so load changes hit all tools alike
  const runners = []
  for (const version of [1, 'hybrid', 2]) {
    runners.push([
      `ours ${version === 'hybrid' ? 'v1+v2 hybrid' : `v${version}`} (${THREADS} threads)`,
      `ours-${version}`,
      () => createTorrent(file, { version, pieceLength: PIECE, creationDate: false, threads: THREADS }),
    ])
  }
  if (has('mktorrent', ['-v'])) {
    const out = join(dir, 'mk.torrent')
    const l = String(Math.log2(PIECE))
    runners.push([
      'mktorrent -t 2',
      'mk',
      () => {
        rmSync(out, { force: true })
        const t = performance.now()
        const r = spawnSync(
          '/usr/bin/time',
          [
            '-f',
            'CPU %U %S',
            'mktorrent',
            '-t',
            '2',
            '-l',
            l,
            '-a',
            'http://127.0.0.1:6969/announce',
            '-o',
            out,
            file,
          ],
          { encoding: 'utf8' },
        )
        const wall = (performance.now() - t) / 1000
        const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '')
        return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : Number.NaN }
      },
    ])
  }
  if (spawnSync('/usr/bin/python3', ['-c', 'import libtorrent'], { stdio: 'ignore' }).status === 0) {
    for (const [label, flag] of [
      ['v1', 'lt.create_torrent.v1_only'],
      ['hybrid', '0'],
    ]) {
      const script = `import libtorrent as lt, time, sys
fs = lt.file_storage(); lt.add_files(fs, ${JSON.stringify(file)})
ct = lt.create_torrent(fs, ${PIECE}, flags=${flag})
t = time.perf_counter(); c = time.process_time(); lt.set_piece_hashes(ct, ${JSON.stringify(dir)}); ct.generate()
print(time.perf_counter() - t, time.process_time() - c)`
      // libtorrent reports its own hashing time (python start-up excluded)
      runners.push([
        `libtorrent ${label}`,
        `lt-${label}`,
        () => {
          const [wall, cpu] = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })
            .trim()
            .split(' ')
          return { wall: Number(wall), cpu: Number(cpu) }
        },
      ])
    }
  }
  try {
    const { default: create } = await import('create-torrent')
    runners.push([
      'npm create-torrent',
      'ct',
      () =>
        new Promise((resolve, reject) =>
          create(file, { pieceLength: PIECE, announceList: [] }, (err, t) =>
            err ? reject(err) : resolve(t),
          ),
        ),
    ])
  } catch (err) {
    console.error(`create-torrent unavailable: ${err.message}`)
  }
  // warm-up: start our worker threads (a 16 MiB file is 4 chunks, so both workers get one)
  const warm = join(dir, 'warm.bin')
  const wfd = openSync(warm, 'w')
  writeSync(wfd, block, 0, 16 * 1024 * 1024)
  closeSync(wfd)
  await createTorrent(warm, { version: 1, pieceLength: PIECE, creationDate: false, threads: THREADS })
  const loadBefore = load()
  const samples = new Map(runners.map(([, key]) => [key, []]))
  const cpuSamples = new Map(runners.map(([, key]) => [key, []]))
  for (let round = 0; round < RUNS; round++) {
    for (const [, key, fn] of runners) {
      const t = performance.now()
      const c = process.cpuUsage()
      const reported = await fn()
      const u = process.cpuUsage(c)
      const wall = (performance.now() - t) / 1000
      // in-process tools: this process's CPU (all threads); child tools report their own
      samples.get(key).push(reported?.wall ?? wall)
      cpuSamples.get(key).push(reported?.cpu ?? (u.user + u.system) / 1e6)
    }
  }
  const loadAfter = load()
  const m = Object.fromEntries([...samples].map(([k, xs]) => [k, median(xs)]))
  const lo = Object.fromEntries([...samples].map(([k, xs]) => [k, Math.min(...xs)]))
  const cpu = Object.fromEntries([...cpuSamples].map(([k, xs]) => [k, median(xs)]))
  for (const [name, key] of runners) rows.push([name, m[key], lo[key], cpu[key]])

  console.log(
    `\n${gib} GiB file in page cache, piece ${PIECE / 1024} KiB, ${RUNS} interleaved rounds, ${availableParallelism()} cores, ` +
      `load average ${loadBefore} before, ${loadAfter} after\n`,
  )
  console.log(
    '| tool | median s | min s | GB/s (median) | CPU s (median, all threads) |\n|---|---:|---:|---:|---:|',
  )
  for (const [name, s, l, c] of rows) {
    console.log(
      `| ${name} | ${s.toFixed(2)} | ${l.toFixed(2)} | ${(SIZE / s / 1e9).toFixed(2)} | ${Number.isFinite(c) ? c.toFixed(2) : '-'} |`,
    )
  }
  console.log('\nevery round (wall s):')
  for (const [name, key] of runners)
    console.log(
      `  ${name.padEnd(32)} ${samples
        .get(key)
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    )
  if (opensslRate) {
    const ideal = SIZE / (opensslRate * 1e9 * THREADS)
    console.log(
      `\nopenssl speed -evp sha1 (1 core): ${opensslRate.toFixed(2)} GB/s; SHA-1 alone over ${THREADS} cores ` +
        `takes ${ideal.toFixed(2)} s; ours v1 reaches ${((ideal / m['ours-1']) * 100).toFixed(0)}% of that ` +
        '(the rest is the copy out of the page cache, which every read()-based tool pays)',
    )
  }
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL')
  const ratio = (a, b) => `${(m[a] / m[b]).toFixed(2)} (min ${(lo[a] / lo[b]).toFixed(2)})`
  console.log('\nCPU-time ratios (medians; less sensitive to a loaded machine):')
  if (cpu.mk) console.log(`  ours v1 / mktorrent -t 2         = ${(cpu['ours-1'] / cpu.mk).toFixed(2)}`)
  if (cpu.ct) console.log(`  ours v1 / create-torrent         = ${(cpu['ours-1'] / cpu.ct).toFixed(2)}`)
  if (cpu['lt-hybrid'])
    console.log(`  ours hybrid / libtorrent hybrid  = ${(cpu['ours-hybrid'] / cpu['lt-hybrid']).toFixed(2)}`)
  console.log('\nwall-time ratios on the medians (the targets), on the minimums in brackets:')
  if (m.mk)
    console.log(
      `  ours v1 / mktorrent -t 2         = ${ratio('ours-1', 'mk')}  target <= 1.0 (aim 0.8)  ${verdict(m['ours-1'] <= m.mk)}`,
    )
  if (m.ct)
    console.log(
      `  ours v1 / create-torrent         = ${ratio('ours-1', 'ct')}  target <= 0.25  ${verdict(m['ours-1'] * 4 <= m.ct)}`,
    )
  if (m['lt-v1']) console.log(`  ours v1 / libtorrent v1          = ${ratio('ours-1', 'lt-v1')}`)
  if (m['lt-hybrid'])
    console.log(
      `  ours hybrid / libtorrent hybrid  = ${ratio('ours-hybrid', 'lt-hybrid')}  target <= 1.0  ${verdict(m['ours-hybrid'] <= m['lt-hybrid'])}`,
    )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
