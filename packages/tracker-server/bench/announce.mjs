// Tracker announce benchmark: our tracker (memory and Redis stores) against opentracker, in one run, over
// HTTP keep-alive, HTTP with a new connection per announce (wrk, bench/tracker-announce.lua) and UDP
// (bench/udp-load.mjs: the packets of bench/udp-announce-load.mjs, the generator of the reference figures, with
// less overhead; --shared-generator runs that one).
// Our tracker runs single-process (memory and Redis stores) and as a 2-worker cluster (--workers, memory store
// sharded by info hash, and Redis). Each run also measures the CPU of the tracker (all its processes) and of the
// load generator (wrk / the UDP generator processes), as % of one core, and the whole machine's busy %, to show
// how close to saturation it ran, and the load average (other work on a shared machine skews every figure).
//   node --expose-gc bench/announce.mjs [--seconds 6] [--rounds 2] [--conc 64] [--generators 2] [--workers 2]
//     [--only ours|opentracker] [--pace 5000] [--warmup 2]
// --warmup S: every tracker first takes S seconds of each load, not measured (Node's JIT and heap settle).
// --pace N (0 = off) adds a latency run at a fixed load of N announces/s per mode and tracker (clusters aside):
// a saturated closed loop measures queueing as much as the tracker, so p99 is shown both ways.
// Needs the built package (pnpm turbo run build --filter @p2p/tracker-server...), wrk, opentracker, redis-server.
// A "node floor" target (bench/node-floor.mjs: fixed replies, no tracker logic) shows what Node itself reaches on
// this machine with the same generators, next to opentracker.
// Prints one JSON line per run, then a table with announces/s, p99 and the ratios against the targets.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { MemoryStore } from '../dist/index.js'

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    workers: { type: 'string', default: '2' },
    conc: { type: 'string', default: '64' },
    generators: { type: 'string', default: '2' },
    only: { type: 'string' },
    'shared-generator': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
    pace: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '2' },
  },
})
const SECONDS = Number(flags.seconds)
const CONC = Number(flags.conc)
const GENERATORS = Number(flags.generators)
const ROUNDS = Number(flags.rounds)
const WORKERS = Number(flags.workers)
const PACE = Number(flags.pace)
const PACE_SECONDS = 4
const WARMUP = Number(flags.warmup)
const ANNOUNCE_LUA = fileURLToPath(new URL('./tracker-announce.lua', import.meta.url))
const serve = fileURLToPath(new URL('../test/fixtures/serve.mjs', import.meta.url))
const clusterScript = fileURLToPath(new URL('../test/fixtures/cluster.mjs', import.meta.url))
// --shared-generator uses the reference figures' generator; the default is our leaner one (same packets).
const generator = flags['shared-generator']
  ? fileURLToPath(new URL('./udp-announce-load.mjs', import.meta.url))
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

/** /proc/PID/stat fields after the command name (index 0 = field 3, state). */
function statFields(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) used so far by a process and its descendants (cluster workers), from /proc. */
function cpuSeconds(pid) {
  const parents = new Map()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const f = statFields(d)
    if (f) parents.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 })
  }
  let total = 0
  const todo = [pid]
  while (todo.length) {
    const p = todo.pop()
    total += parents.get(p)?.cpu ?? 0
    for (const [child, v] of parents) if (v.ppid === p) todo.push(child)
  }
  return total
}

/**
 * TCP sockets in TIME_WAIT on the machine (from /proc/net/sockstat): every new-connection run leaves tens of
 * thousands for a minute, and the kernel's search for a free client port slows down with them.
 */
function timeWaitSockets() {
  const m = /TCP: .*\btw (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))
  return m ? Number(m[1]) : undefined
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = f[3] + f[4]
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/**
 * Runs `measure` and adds the CPU use: the tracker's (% of one core, CPU us per announce), the generator's
 * (% of one core; `genCpu` from the measure) and the machine's (% of all cores busy, other work included),
 * plus the 1-minute load average and the TIME_WAIT sockets when the run started.
 */
async function withCpu(pids, measure) {
  const load = +loadavg()[0].toFixed(1)
  const timeWait = timeWaitSockets()
  const cpuOf = () => pids.reduce((a, p) => a + cpuSeconds(p), 0)
  const c0 = cpuOf()
  const m0 = machineJiffies()
  const t0 = performance.now()
  const r = await measure()
  const cpu = cpuOf() - c0
  const m1 = machineJiffies()
  const wall = (performance.now() - t0) / 1000
  const { genCpu, ...rest } = r
  return {
    ...rest,
    cpuPct: Math.round((100 * cpu) / wall),
    cpuUsPerAnnounce: +((cpu * 1e6) / (r.rate * SECONDS)).toFixed(1),
    genCpuPct: Math.round((100 * genCpu) / wall),
    machineBusyPct: Math.round((100 * (m1.busy - m0.busy)) / (m1.total - m0.total)),
    load,
    timeWait,
  }
}

/**
 * Runs a command through `sh` and returns its output plus the CPU seconds it used (the shell's cutime +
 * cstime: the CPU of the waited-for command, read from /proc/<sh>/stat after it exits).
 */
async function runCounted(cmd, args, env) {
  const out = await run(
    'sh',
    ['-c', '"$@"; echo; echo "CPUSTAT $(cat /proc/$$/stat)"', 'sh', cmd, ...args],
    env,
  )
  const line = out.split('\n').find((l) => l.startsWith('CPUSTAT '))
  const f = line?.split(') ')[1]?.split(' ')
  return { out, cpu: f ? (Number(f[13]) + Number(f[14])) / 100 : Number.NaN }
}

/**
 * wrk over HTTP; `close` sends Connection: close so each announce opens a new connection. `rate` paces the
 * load (announces/s in all) through bench/paced-announce.lua; 0 runs as fast as answers come.
 */
async function wrk(url, close, rate = 0, secs = rate > 0 ? PACE_SECONDS : SECONDS) {
  const script = rate > 0 ? fileURLToPath(new URL('./paced-announce.lua', import.meta.url)) : ANNOUNCE_LUA
  const args = ['-t1', `-c${CONC}`, `-d${secs}s`, '--latency', '-s', script]
  if (close) args.push('-H', 'Connection: close')
  const { out, cpu } = await runCounted('wrk', [...args, url], {
    HASHES: hashFile,
    ANNOUNCE_LUA,
    PACE_MS: String((1000 * CONC) / (rate || 1)),
  })
  const line = out.split('\n').find((l) => l.startsWith('JSON '))
  if (!line) throw new Error(`wrk failed:\n${out}`)
  const j = JSON.parse(line.slice(5))
  return {
    rate: j.rps,
    p99: j.p99_ms,
    errors: j.errors_connect + j.errors_read + j.errors_status + j.errors_timeout,
    genCpu: cpu,
  }
}

/** The UDP generator, `GENERATORS` processes splitting the concurrency (and `rate`, when paced). */
async function udp(port, rate = 0, secs = rate > 0 ? PACE_SECONDS : SECONDS) {
  const each = Math.max(1, Math.round(CONC / GENERATORS))
  const outs = await Promise.all(
    Array.from({ length: GENERATORS }, () =>
      runCounted(process.execPath, [
        generator,
        '127.0.0.1',
        String(port),
        String(secs),
        String(each),
        hashFile,
        '1000',
        String(rate / GENERATORS),
      ]),
    ),
  )
  const rs = outs.map((o) => JSON.parse(o.out.split('\n').find((l) => l.startsWith('{'))))
  return {
    rate: rs.reduce((a, r) => a + r.announces_per_s, 0),
    p99: Math.max(...rs.map((r) => r.p99_ms)),
    errors: rs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    genCpu: outs.reduce((a, o) => a + o.cpu, 0),
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

/** Bytes per 100,000 peers in a MemoryStore (1,000 torrents x 100 peers, IPv4): heap plus ArrayBuffers. */
function memoryPer100k() {
  if (!global.gc) return undefined
  const used = () => {
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  global.gc()
  const before = used()
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
  const bytes = used() - before
  store.close()
  return bytes
}

const results = []
try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' })
} catch (err) {
  if (err.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install wrk)')
}
const t0 = performance.now()
console.log(
  `# ${SECONDS}s per run, ${CONC} concurrent clients, 10,000 info hashes, wrk -t1 (HTTP), ${GENERATORS} UDP generator processes; best of ${ROUNDS} interleaved rounds after a ${WARMUP} s warm-up; trackers and generators share this machine (${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the start)`,
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
  targets.push(
    await nodeTracker('node floor', fileURLToPath(new URL('./node-floor.mjs', import.meta.url)), []),
  )
}
const CLUSTER = `ours (memory, ${WORKERS} workers)`
const CLUSTER_REDIS = `ours (redis, ${WORKERS} workers)`
if (flags.only !== 'opentracker') {
  targets.push(await nodeTracker('ours (memory)', serve, [JSON.stringify({ rateLimit: false })]))
  redis = await redisServer()
  targets.push({
    ...(await nodeTracker('ours (redis)', serve, [
      JSON.stringify({ rateLimit: false, redisUrl: redis.url }),
    ])),
    extraPid: redis.c.pid,
  })
  if (WORKERS > 1) {
    targets.push(
      await nodeTracker(CLUSTER, clusterScript, [JSON.stringify({ rateLimit: false, workers: WORKERS })]),
    )
    targets.push({
      ...(await nodeTracker(CLUSTER_REDIS, clusterScript, [
        JSON.stringify({ rateLimit: false, workers: WORKERS, redisUrl: redis.url, redisPrefix: 'cluster:' }),
      ])),
      extraPid: redis.c.pid,
    })
  }
}
const modes = {
  httpKeepAlive: (t) => wrk(t.url, false),
  httpClose: (t) => wrk(t.url, true),
  udp: (t) => udp(t.port),
}
if (WARMUP > 0) {
  for (const t of targets) {
    await wrk(t.url, false, 0, WARMUP)
    await udp(t.port, 0, WARMUP)
  }
}
const best = new Map(targets.map((t) => [t.label, { label: t.label }]))
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another tracker, so none always runs first (or always after the TIME_WAIT
  // sockets that the new-connection runs leave behind).
  const order = targets.map((_, i) => targets[(i + round) % targets.length])
  for (const [mode, measure] of Object.entries(modes)) {
    for (const t of order) {
      const pids = [t.c.pid, ...(t.extraPid ? [t.extraPid] : [])]
      const r = await withCpu(pids, () => measure(t))
      console.log(JSON.stringify({ round, tracker: t.label, mode, ...r }))
      const b = best.get(t.label)
      if (!b[mode] || r.rate > b[mode].rate) b[mode] = r
    }
  }
}
// Latency at a fixed load every tracker sustains (clusters aside): p99 without the queueing of a saturated loop.
if (PACE > 0) {
  const paced = {
    httpKeepAlive: (t) => wrk(t.url, false, PACE),
    httpClose: (t) => wrk(t.url, true, PACE),
    // The shared generator cannot pace.
    udp: (t) => (flags['shared-generator'] ? undefined : udp(t.port, PACE)),
  }
  for (const [mode, measure] of Object.entries(paced)) {
    for (const t of targets) {
      if (t.label === CLUSTER || t.label === CLUSTER_REDIS) continue
      const r = await measure(t)
      if (!r) continue
      const { genCpu: _, ...shown } = r
      console.log(JSON.stringify({ paced: PACE, tracker: t.label, mode, ...shown }))
      best.get(t.label)[`${mode}Paced`] = r
    }
  }
}
for (const t of targets) await stop(t.c)
if (redis) await stop(redis.c)
for (const r of best.values()) results.push(r)
const mem = memoryPer100k()

const MODES = ['httpKeepAlive', 'httpClose', 'udp']
const NAMES = { httpKeepAlive: 'HTTP keep-alive', httpClose: 'HTTP new connection', udp: 'UDP' }
const byLabel = Object.fromEntries(results.map((r) => [r.label, r]))
const fmt = (n) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'))
console.log(
  '\ncells: announces/s (p99 ms; tracker CPU % of one core and CPU us per announce; generator CPU %; machine busy % of all cores; load average)',
)
console.log('| tracker | HTTP keep-alive | HTTP new connection | UDP |')
console.log('|---|---|---|---|')
for (const r of results) {
  const cell = (m) =>
    `${fmt(m.rate)} (${m.p99} ms; ${m.cpuPct}%, ${m.cpuUsPerAnnounce} us; gen ${m.genCpuPct}%; busy ${m.machineBusyPct}%; load ${m.load})`
  console.log(`| ${r.label} | ${MODES.map((k) => cell(r[k])).join(' | ')} |`)
}
if (PACE > 0) {
  console.log(
    `\np99 ms at a fixed load of ${PACE.toLocaleString('en-US')} announces/s (achieved rate in brackets):`,
  )
  console.log('| tracker | HTTP keep-alive | HTTP new connection | UDP |')
  console.log('|---|---|---|---|')
  for (const r of results) {
    const cell = (m) => (m ? `${m.p99} (${fmt(m.rate)}/s${m.errors ? `, ${m.errors} errors` : ''})` : '-')
    if (MODES.some((k) => r[`${k}Paced`]))
      console.log(`| ${r.label} | ${MODES.map((k) => cell(r[`${k}Paced`])).join(' | ')} |`)
  }
}
const ot = byLabel.opentracker
const bt = byLabel['bittorrent-tracker']
const single = byLabel['ours (memory)']
const multi = byLabel[CLUSTER]
const red = byLabel['ours (redis)']
const redMulti = byLabel[CLUSTER_REDIS]
const check = (ok) => (ok ? 'PASS' : 'FAIL')
const line = (name, q, target, note = '') =>
  console.log(
    `  ${name.padEnd(52)} ${Number.isFinite(q) ? q.toFixed(2).padStart(6) : '     -'}  ${target ? `target ${target.padEnd(6)} ${check(q >= Number(target.slice(3)))}` : ''}${note}`,
  )
/** Ours per mode: the faster of single-process and the worker cluster (both shown). */
const ours = Object.fromEntries(
  MODES.map((k) => {
    const c = [single, multi].filter((x) => x?.[k]).sort((a, b) => b[k].rate - a[k].rate)[0]
    return [k, c ? { ...c[k], label: c.label } : undefined]
  }),
)
console.log('\nratios (same run; "best" = the faster of single-process and the cluster, named):')
if (single) {
  for (const [k, ref, target] of [
    ['udp', bt, '>= 3'],
    ['udp', ot, '>= 1'],
    ['httpKeepAlive', bt, '>= 3'],
    ['httpClose', ot, '>= 1'],
  ]) {
    if (!ref) continue
    const name = `${NAMES[k]} ours/${ref.label}`
    line(`${name} (single process)`, single[k].rate / ref[k].rate)
    if (multi) line(`${name} (${WORKERS} workers)`, multi[k].rate / ref[k].rate)
    line(`${name} best`, ours[k].rate / ref[k].rate, target, `  (${ours[k].label})`)
  }
  if (bt) line(`${NAMES.httpClose} ours/bittorrent-tracker best`, ours.httpClose.rate / bt.httpClose.rate)
  if (ot)
    line(
      `${NAMES.httpKeepAlive} ours/opentracker best`,
      ours.httpKeepAlive.rate / ot.httpKeepAlive.rate,
      undefined,
      '  (opentracker closes after each reply)',
    )
  for (const k of MODES) {
    const p99 = ours[k].p99
    console.log(
      `  p99 ${NAMES[k]} ours best, saturated${' '.repeat(29 - NAMES[k].length)} ${String(p99).padStart(6)} ms  target < 10 ms ${check(p99 < 10)}`,
    )
    const paced = single[`${k}Paced`]
    if (paced)
      console.log(
        `  p99 ${NAMES[k]} ours at ${PACE}/s (single process)${' '.repeat(Math.max(0, 22 - NAMES[k].length - String(PACE).length))} ${String(paced.p99).padStart(6)} ms  target < 10 ms ${check(paced.p99 < 10)}`,
      )
  }
  const floor = byLabel['node floor']
  if (floor) {
    console.log(
      "  node floor = a Node server answering fixed replies with no tracker logic (the runtime's ceiling here):",
    )
    for (const k of MODES) {
      if (ot) line(`${NAMES[k]} node floor/opentracker`, floor[k].rate / ot[k].rate)
      line(
        `${NAMES[k]} ours best/node floor`,
        ours[k].rate / floor[k].rate,
        undefined,
        `  (floor p99 ${floor[k].p99} ms)`,
      )
    }
  }
  if (red) {
    for (const k of MODES)
      line(`${NAMES[k]} redis/memory (single process)`, red[k].rate / single[k].rate, '>= 0.5')
  }
  if (redMulti && multi) {
    for (const k of MODES)
      line(`${NAMES[k]} redis/memory (${WORKERS} workers)`, redMulti[k].rate / multi[k].rate)
  }
  if (ot) {
    for (const k of MODES) {
      line(
        `${NAMES[k]} CPU us per announce ours/opentracker`,
        single[k].cpuUsPerAnnounce / ot[k].cpuUsPerAnnounce,
        undefined,
        '  (single process; lower is better)',
      )
    }
  }
}
if (mem !== undefined)
  console.log(`  memory store: ${(mem / 2 ** 20).toFixed(1)} MiB (heap and ArrayBuffers) per 100,000 peers`)
else console.log('  memory per 100,000 peers: run with node --expose-gc')
console.log(
  `# took ${Math.round((performance.now() - t0) / 1000)} s; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end`,
)
