// Tracker announce benchmark: our tracker (memory and Redis stores) against opentracker, in one run, over
// HTTP keep-alive, HTTP with a new connection per announce (wrk, the shared tracker-announce.lua) and UDP
// (bench/udp-load.mjs: the shared generator's packets with less overhead; --shared-generator for the shared one).
// Also measures the tracker process's CPU (% of a core, CPU us per announce) to show how close to saturation it ran.
//   node --expose-gc bench/announce.mjs [--seconds 10] [--rounds 2] [--conc 64] [--generators 2] [--only ours|opentracker]
// Needs the built package (pnpm turbo run build --filter @p2p/tracker-server...), wrk, opentracker, redis-server.
// Prints one JSON line per run, then a table with announces/s, p99 and the ratios against the targets.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MemoryStore } from '../dist/index.js'

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    conc: { type: 'string', default: '64' },
    generators: { type: 'string', default: '2' },
    only: { type: 'string' },
    'shared-generator': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
  },
})
const SECONDS = Number(flags.seconds)
const CONC = Number(flags.conc)
const GENERATORS = Number(flags.generators)
const ROUNDS = Number(flags.rounds)
const shared = fileURLToPath(new URL('../../../../shared/bench/', import.meta.url))
const serve = fileURLToPath(new URL('../test/fixtures/serve.mjs', import.meta.url))
// --shared-generator uses the shared bench generator; the default is our leaner one (same packets).
const generator = flags['shared-generator']
  ? join(shared, 'udp-announce-load.mjs')
  : fileURLToPath(new URL('./udp-load.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'p2p-tracker-bench-'))
chmodSync(dir, 0o755)
const hashFile = join(dir, 'hashes.txt')
writeFileSync(
  hashFile,
  `${Array.from({ length: 10_000 }, () => randomBytes(20).toString('hex')).join('\n')}\n`,
  { mode: 0o644 },
)
const children = []
process.on('exit', () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL')
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true })
})

function start(cmd, args) {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  c.out = ''
  c.stdout.on('data', (b) => (c.out += b))
  c.stderr.on('data', (b) => (c.out += b))
  children.push(c)
  return c
}
async function stop(c) {
  if (c.exitCode !== null) return
  const exited = new Promise((r) => c.once('exit', r))
  try {
    process.kill(-c.pid, 'SIGTERM')
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(-c.pid, 'SIGKILL')
    } catch {}
  }, 3000)
  await exited
  clearTimeout(t)
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function waitLine(c, test, ms = 15_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const line = c.out.split('\n').find(test)
    if (line) return line
    if (c.exitCode !== null) break
    await sleep(50)
  }
  throw new Error(`process did not start:\n${c.out}`)
}
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}
function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    c.stdout.on('data', (b) => (out += b))
    c.stderr.on('data', (b) => (out += b))
    c.on('error', reject)
    c.on('exit', () => resolve(out))
  })
}

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return Number.NaN
  }
}

/** Runs `measure` and adds the tracker's CPU use: % of one core and CPU microseconds per announce. */
async function withCpu(pid, measure) {
  const c0 = cpuSeconds(pid)
  const t0 = performance.now()
  const r = await measure()
  const cpu = cpuSeconds(pid) - c0
  const wall = (performance.now() - t0) / 1000
  return {
    ...r,
    cpuPct: Math.round((100 * cpu) / wall),
    cpuUsPerAnnounce: +((cpu * 1e6) / (r.rate * SECONDS)).toFixed(1),
  }
}

/** wrk over HTTP; `close` sends Connection: close so each announce opens a new connection. */
async function wrk(url, close) {
  const args = ['-t1', `-c${CONC}`, `-d${SECONDS}s`, '--latency', '-s', join(shared, 'tracker-announce.lua')]
  if (close) args.push('-H', 'Connection: close')
  const out = await run('wrk', [...args, url], { HASHES: hashFile })
  const line = out.split('\n').find((l) => l.startsWith('JSON '))
  if (!line) throw new Error(`wrk failed:\n${out}`)
  const j = JSON.parse(line.slice(5))
  return {
    rate: j.rps,
    p99: j.p99_ms,
    errors: j.errors_connect + j.errors_read + j.errors_status + j.errors_timeout,
  }
}

/** The UDP generator, `GENERATORS` processes splitting the concurrency. */
async function udp(port) {
  const each = Math.max(1, Math.round(CONC / GENERATORS))
  const outs = await Promise.all(
    Array.from({ length: GENERATORS }, () =>
      run(process.execPath, [generator, '127.0.0.1', String(port), String(SECONDS), String(each), hashFile]),
    ),
  )
  const rs = outs.map((o) => JSON.parse(o.split('\n').find((l) => l.startsWith('{'))))
  return {
    rate: rs.reduce((a, r) => a + r.announces_per_s, 0),
    p99: Math.max(...rs.map((r) => r.p99_ms)),
    errors: rs.reduce((a, r) => a + r.errors + r.timeouts, 0),
  }
}

/** Starts a tracker in a Node process that prints its URLs as a JSON line (ours, or npm bittorrent-tracker). */
async function nodeTracker(label, script, args) {
  const c = start(process.execPath, [script, ...args])
  const info = JSON.parse(await waitLine(c, (l) => l.startsWith('{')))
  return { label, c, url: info.httpUrl, port: info.udpUrl.split(':').at(-1) }
}

/** Starts Debian's opentracker (whitelist-only: the 10,000 hashes; drops root to _opentracker). */
async function opentracker() {
  const port = await freePort()
  const root = process.getuid?.() === 0
  const access = root ? ['-u', '_opentracker', '-d', dir, '-w', '/hashes.txt'] : ['-w', hashFile]
  const c = start('opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), ...access])
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/stats`).then(
      () => true,
      () => false,
    )
    if (ok) break
    await sleep(100)
  }
  return { label: 'opentracker', c, url: `http://127.0.0.1:${port}/announce`, port: String(port) }
}

async function redisServer() {
  const port = await freePort()
  const c = start('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ])
  await waitLine(c, (l) => l.includes('Ready to accept connections'))
  return { c, url: `redis://127.0.0.1:${port}` }
}

/** Heap bytes per 100,000 peers in a MemoryStore (1,000 torrents x 100 peers, IPv4). */
function memoryPer100k() {
  if (!global.gc) return undefined
  global.gc()
  const before = process.memoryUsage().heapUsed
  const store = new MemoryStore({ sweepInterval: 0, maxPeersPerTorrent: 1000 })
  for (let t = 0; t < 1000; t++) {
    const infoHash = randomBytes(20).toString('hex')
    for (let p = 0; p < 100; p++) {
      store.announce({
        infoHash,
        peerId: randomBytes(20),
        host: `10.${t >> 8}.${t & 255}.${p}`,
        family: 4,
        port: 1000 + p,
        seeder: p % 2 === 0,
        event: 'started',
        numwant: 0,
        families: [4],
      })
    }
  }
  global.gc()
  const bytes = process.memoryUsage().heapUsed - before
  store.close()
  return bytes
}

const results = []
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' })
} catch (err) {
  if (err.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install wrk)')
}
console.log(
  `# ${SECONDS}s per run, ${CONC} concurrent clients, 10,000 info hashes, ${GENERATORS} UDP generator processes; best of ${ROUNDS} interleaved rounds; trackers and generators share this machine`,
)
// Every tracker runs at once (idle ones cost nothing); the modes are interleaved across trackers and
// repeated `--rounds` times, keeping each tracker's best round, so a burst of load on the shared machine
// does not land on one tracker only.
const targets = []
let redis
if (flags.only !== 'ours') {
  targets.push(await opentracker())
  targets.push(
    await nodeTracker(
      'bittorrent-tracker',
      fileURLToPath(new URL('./bittorrent-tracker.mjs', import.meta.url)),
      [],
    ),
  )
}
if (flags.only !== 'opentracker') {
  targets.push(await nodeTracker('ours (memory)', serve, [JSON.stringify({ rateLimit: false })]))
  redis = await redisServer()
  targets.push(
    await nodeTracker('ours (redis)', serve, [JSON.stringify({ rateLimit: false, redisUrl: redis.url })]),
  )
}
const modes = {
  httpKeepAlive: (t) => wrk(t.url, false),
  httpClose: (t) => wrk(t.url, true),
  udp: (t) => udp(t.port),
}
const best = new Map(targets.map((t) => [t.label, { label: t.label }]))
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, measure] of Object.entries(modes)) {
    for (const t of targets) {
      const r = await withCpu(t.c.pid, () => measure(t))
      console.log(JSON.stringify({ round, tracker: t.label, mode, ...r }))
      const b = best.get(t.label)
      if (!b[mode] || r.rate > b[mode].rate) b[mode] = r
    }
  }
}
for (const t of targets) await stop(t.c)
if (redis) await stop(redis.c)
for (const r of best.values()) results.push(r)
const mem = memoryPer100k()

const byLabel = Object.fromEntries(results.map((r) => [r.label, r]))
const fmt = (n) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))
console.log('\ncells: announces/s (p99 ms; tracker CPU % of one core, CPU us per announce)')
console.log('| tracker | HTTP keep-alive | HTTP new connection | UDP |')
console.log('|---|---|---|---|')
for (const r of results) {
  const cell = (m) => `${fmt(m.rate)} (${m.p99} ms; ${m.cpuPct}%, ${m.cpuUsPerAnnounce} us)`
  console.log(`| ${r.label} | ${cell(r.httpKeepAlive)} | ${cell(r.httpClose)} | ${cell(r.udp)} |`)
}
const ot = byLabel.opentracker
const mine = byLabel['ours (memory)']
const red = byLabel['ours (redis)']
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-')
const check = (ok) => (ok ? 'PASS' : 'FAIL')
console.log('\nratios (this run):')
if (ot && mine) {
  const u = mine.udp.rate / ot.udp.rate
  const h = mine.httpClose.rate / ot.httpClose.rate
  console.log(
    `  UDP ours/opentracker            ${ratio(mine.udp.rate, ot.udp.rate)}  target >= 1.0  ${check(u >= 1)}`,
  )
  console.log(
    `  HTTP new-conn ours/opentracker  ${ratio(mine.httpClose.rate, ot.httpClose.rate)}  target >= 1.0  ${check(h >= 1)}`,
  )
  console.log(
    `  HTTP keep-alive ours/opentracker ${ratio(mine.httpKeepAlive.rate, ot.httpKeepAlive.rate)}  (opentracker closes after each reply)`,
  )
}
const bt = byLabel['bittorrent-tracker']
if (bt && mine) {
  for (const [k, target] of [
    ['httpKeepAlive', 3],
    ['httpClose', undefined],
    ['udp', 3],
  ]) {
    const q = mine[k].rate / bt[k].rate
    const verdict = target === undefined ? '' : `  target >= ${target}  ${check(q >= target)}`
    console.log(`  ${k} ours/bittorrent-tracker ${q.toFixed(2)}${verdict}`)
  }
}
if (ot && mine) {
  for (const k of ['httpKeepAlive', 'httpClose', 'udp']) {
    console.log(
      `  ${k} CPU per announce ours/opentracker ${ratio(mine[k].cpuUsPerAnnounce, ot[k].cpuUsPerAnnounce)} (lower is better; load-independent-ish)`,
    )
  }
}
if (mine) {
  const p99 = Math.max(mine.udp.p99, mine.httpKeepAlive.p99, mine.httpClose.p99)
  console.log(`  p99 ours (worst of the three)   ${p99} ms  target < 10  ${check(p99 < 10)}`)
}
if (red && mine) {
  for (const k of ['httpKeepAlive', 'httpClose', 'udp']) {
    const q = red[k].rate / mine[k].rate
    console.log(`  ${k} redis/memory ${q.toFixed(2)}  target >= 0.5  ${check(q >= 0.5)}`)
  }
}
if (mem !== undefined) console.log(`  memory store: ${(mem / 2 ** 20).toFixed(1)} MiB heap per 100,000 peers`)
else console.log('  memory per 100,000 peers: run with node --expose-gc')
