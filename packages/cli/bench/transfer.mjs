// Transfer benchmark: a single-file v1 torrent (1 GiB, BENCH_SIZE_MIB to change) over loopback,
// seeder -> leecher, for each pair in the same run; prints MB/s, the leecher's peak RSS and ratios
// against the targets (ours->ours >= 1.5x libtorrent->libtorrent, leecher peak RSS <= 100 MiB).
// Needs /usr/bin/python3 with libtorrent, aria2c and opentracker (Debian packages).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { finished } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 2 ** 20
const PY = '/usr/bin/python3'
const LT = fileURLToPath(new URL('./lt-peer.py', import.meta.url))
const children = new Set()

function start(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts })
  children.add(p)
  p.lines = []
  p.waiters = []
  createInterface({ input: p.stdout }).on('line', (l) => {
    p.lines.push(l)
    for (const w of p.waiters.splice(0)) w()
  })
  p.stderr.on('data', () => {})
  p.closed = new Promise((r) => p.once('close', (code) => r(code)))
  return p
}

async function line(p, pick, ms = 120_000) {
  const deadline = Date.now() + ms
  for (;;) {
    for (const l of p.lines) {
      const v = pick(l)
      if (v !== undefined) return v
    }
    if (p.exitCode !== null || Date.now() > deadline)
      throw new Error(`${p.spawnargs.join(' ')}: no expected line`)
    await new Promise((r) => {
      p.waiters.push(r)
      setTimeout(r, 500)
    })
  }
}

function stop(p) {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve()
  try {
    process.kill(-p.pid, 'SIGKILL')
  } catch {}
  children.delete(p)
  return p.closed
}

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

/** Peak RSS (VmHWM) of a running process in KiB, polled until it exits. */
function watchPeakRss(p) {
  let peak = 0
  const t = setInterval(async () => {
    const s = await readFile(`/proc/${p.pid}/status`, 'utf8').catch(() => '')
    const m = /VmHWM:\s+(\d+)/.exec(s)
    if (m) peak = Math.max(peak, Number(m[1]))
  }, 100)
  return () => {
    clearInterval(t)
    return peak
  }
}

async function ltPair(dir, torrent) {
  const port = await freePort()
  const seeder = start(PY, [LT, 'seed', torrent, join(dir, 'src'), String(port)])
  try {
    await line(seeder, (l) => (l === 'ready' ? true : undefined))
    const out = join(dir, 'lt-out')
    await mkdir(out, { recursive: true })
    const leecher = start(PY, [LT, 'leech', torrent, out, String(await freePort()), `127.0.0.1:${port}`])
    const r = JSON.parse(await line(leecher, (l) => (l.startsWith('{') ? l : undefined), 600_000))
    await stop(leecher)
    return { seconds: r.done, peakRssKiB: r.peakRssKiB }
  } finally {
    await stop(seeder)
    await rm(join(dir, 'lt-out'), { recursive: true, force: true })
  }
}

async function ariaPair(dir, torrent, infoHash) {
  const trackerDir = await mkdtemp(join(tmpdir(), 'bench-ot-'))
  await chmod(trackerDir, 0o755)
  await writeFile(join(trackerDir, 'whitelist'), `${infoHash}\n`, { mode: 0o644 })
  const tport = await freePort()
  const asRoot = process.getuid?.() === 0
  const access = asRoot
    ? ['-u', '_opentracker', '-d', trackerDir, '-w', '/whitelist']
    : ['-d', trackerDir, '-w', join(trackerDir, 'whitelist')]
  const tracker = start('opentracker', [
    '-i',
    '127.0.0.1',
    '-p',
    String(tport),
    '-P',
    String(tport),
    ...access,
  ])
  const announce = `http://127.0.0.1:${tport}/announce`
  const common = [
    '--enable-dht=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    `--bt-tracker=${announce}`,
    '--file-allocation=none',
    '--console-log-level=warn',
    '--summary-interval=0',
  ]
  let seeder
  try {
    await new Promise((r) => setTimeout(r, 300))
    seeder = start('aria2c', [
      ...common,
      `--dir=${join(dir, 'src')}`,
      '--bt-seed-unverified=true',
      '--check-integrity=false',
      '--seed-ratio=0.0',
      `--listen-port=${await freePort()}`,
      torrent,
    ])
    await new Promise((r) => setTimeout(r, 1500))
    const out = join(dir, 'aria-out')
    await mkdir(out, { recursive: true })
    const t0 = performance.now()
    const leecher = start('aria2c', [
      ...common,
      `--dir=${out}`,
      '--seed-time=0',
      `--listen-port=${await freePort()}`,
      torrent,
    ])
    const peak = watchPeakRss(leecher)
    const code = await leecher.closed
    const seconds = (performance.now() - t0) / 1000
    if (code !== 0) throw new Error(`aria2 leecher exited ${code}`)
    return { seconds, peakRssKiB: peak() }
  } finally {
    await stop(seeder)
    await stop(tracker)
    await rm(join(dir, 'aria-out'), { recursive: true, force: true })
    await rm(trackerDir, { recursive: true, force: true })
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'p2p-bench-'))
  const rows = []
  try {
    await mkdir(join(dir, 'src'))
    const file = join(dir, 'src', 'bench.bin')
    const out = createWriteStream(file)
    for (let left = SIZE; left > 0; left -= 2 ** 20) {
      if (!out.write(randomBytes(Math.min(left, 2 ** 20)))) await new Promise((r) => out.once('drain', r))
    }
    out.end()
    await finished(out)
    const torrent = join(dir, 'bench.torrent')
    const creator = start(PY, [LT, 'create', file, torrent])
    const infoHash = await line(creator, (l) => (/^[0-9a-f]{40}$/.test(l) ? l : undefined))
    console.log(
      `transfer benchmark: ${SIZE / 2 ** 20} MiB single-file v1 torrent over 127.0.0.1 (${infoHash})`,
    )
    const pairs = {
      'ours -> ours': null,
      'libtorrent -> libtorrent': () => ltPair(dir, torrent),
      'aria2 -> aria2': () => ariaPair(dir, torrent, infoHash),
      'ours -> libtorrent': null,
      'libtorrent -> ours': null,
    }
    for (const [name, run] of Object.entries(pairs)) {
      if (!run) {
        rows.push({ name, note: 'not run: @p2p/swarm is not in this build' })
        continue
      }
      try {
        const r = await run()
        rows.push({ name, mbps: SIZE / 1e6 / r.seconds, rssMiB: r.peakRssKiB / 1024 })
      } catch (err) {
        rows.push({ name, note: `failed: ${err.message}` })
      }
    }
  } finally {
    await Promise.all([...children].map(stop))
    await rm(dir, { recursive: true, force: true })
  }
  for (const r of rows) {
    console.log(
      r.note
        ? `${r.name.padEnd(26)} ${r.note}`
        : `${r.name.padEnd(26)} ${r.mbps.toFixed(1).padStart(7)} MB/s   leecher peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB`,
    )
  }
  const by = Object.fromEntries(rows.map((r) => [r.name, r]))
  const ours = by['ours -> ours']
  const lt = by['libtorrent -> libtorrent']
  if (ours?.mbps && lt?.mbps) {
    const ratio = ours.mbps / lt.mbps
    console.log(
      `speed: ours/libtorrent = ${ratio.toFixed(2)}x (target >= 1.5x) ${ratio >= 1.5 ? 'PASS' : 'FAIL'}`,
    )
    console.log(
      `memory: ours leecher peak RSS ${ours.rssMiB.toFixed(0)} MiB (target <= 100 MiB) ${ours.rssMiB <= 100 ? 'PASS' : 'FAIL'}`,
    )
  } else {
    console.log('speed: FAIL (ours -> ours not measured)')
    console.log('memory: FAIL (ours -> ours not measured)')
  }
}

process.on('SIGINT', async () => {
  await Promise.all([...children].map(stop))
  process.exit(130)
})
await main()
