// Transfer benchmark of @p2p/swarm: one single-file v1 torrent (BENCH_SIZE_MIB, default 1024) over
// 127.0.0.1, seeder -> leecher, for ours -> ours, libtorrent -> libtorrent, aria2 -> aria2 (through our
// tracker: aria2 cannot be given a peer), ours -> libtorrent and libtorrent -> ours in the same run. Prints MB/s, the leecher's peak RSS and the ratio against
// libtorrent -> libtorrent (target: ours -> ours >= 2.0x, leecher peak RSS <= 64 MiB). Those two pairs
// run BENCH_ROUNDS times (default 3), interleaved: a single run of either varies by +-15% here, so
// the ratio is taken on the medians (and the RSS target on the highest peak of all rounds).
// A transfer's time runs from spawning the leecher to its exit (ours, aria2: they exit once complete)
// or to its 'done' line (libtorrent's peer prints it once seeding, woken by the finished alert, and seeds on).
// Also prints the user + system CPU seconds per GiB of leecher and seeder: on a shared machine they
// are steadier than MB/s (though kernel write costs vary between runs on this VM too); the seeder's
// include checking its copy of the file at startup. And the 1-minute load average after each run.
// BENCH_SIZE_MIB=256 BENCH_ROUNDS=1 is a quick run for iterating.
// Needs the built CLI (packages/cli/dist) and Debian's python3-libtorrent; uses /usr/bin/time for RSS.
// Our peers run with MSE off (--encryption disabled) except in the RC4 pairs, and with the node flags
// of the `p2p` executable's launcher line (packages/cli/dist/bin.js), as an installed `p2p` runs.
// BENCH_RSS_SPLIT=1 preloads bench/rss-split.cjs into our leecher and prints what its peak RSS is made
// of (node binary pages, V8 heap, external buffers, the rest); off by default (it reads smaps at peaks).
// BENCH_MSE=1 (`pnpm bench:mse`) runs the Message Stream Encryption pairs instead: ours -> ours and
// libtorrent -> libtorrent with RC4 forced on both sides, and ours -> ours plain, interleaved; it prints
// ours/libtorrent with RC4 (target >= 1.2x) and the RC4 overhead against our plain transfer.
// BENCH_UTP=1 (`pnpm bench:utp`) runs the uTP pairs instead: ours -> ours and libtorrent -> libtorrent
// with uTP only (TCP disabled on both sides; ours with --transports utp), and ours -> ours over TCP,
// interleaved; it prints ours/libtorrent over uTP (target >= 1.5x) and our uTP/TCP speed and CPU.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { createTorrent } from '@p2p/metainfo'

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 2 ** 20
const P2P = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))
const LT = fileURLToPath(new URL('../test/fixtures/lt-peer.py', import.meta.url))
const PY = '/usr/bin/python3'
const children = new Set()
/** Extra node flags for our leecher (e.g. BENCH_NODE_ARGS=--cpu-prof). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
/** Whether our leecher reports what its peak RSS is made of (see the header). */
const RSS_SPLIT = process.env.BENCH_RSS_SPLIT === '1'
const RSS_SPLIT_PRELOAD = fileURLToPath(new URL('./rss-split.cjs', import.meta.url))
/** Extra node flags for our seeder (e.g. BENCH_SEED_NODE_ARGS=--cpu-prof). */
const SEED_NODE_ARGS = (process.env.BENCH_SEED_NODE_ARGS ?? '').split(' ').filter(Boolean)
/**
 * Another build's CLI (e.g. BENCH_BASE=/path/to/main/packages/cli/dist/bin.js): adds the pair
 * 'base -> base' to the interleaved rounds and prints ours/base (before/after a change, same load).
 */
const BASE = process.env.BENCH_BASE
/** Runs of each of the two pairs the target compares (ours -> ours, libtorrent -> libtorrent); medians are compared. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** Only these pairs (comma-separated, e.g. BENCH_PAIRS='libtorrent -> ours'). */
const PAIRS = process.env.BENCH_PAIRS?.split(',').map((s) => s.trim())
/** Compare RC4 transfers instead (see the header). */
const MSE = process.env.BENCH_MSE === '1'
/** Compare uTP-only transfers instead (see the header). */
const UTP = process.env.BENCH_UTP === '1'
/** Our flags and libtorrent's settings for RC4 forced on both sides, MSE off ('plain'), or uTP only and MSE off. */
const ENC_FLAGS = {
  rc4: ['--encryption', 'forced', '--encryption-level', 'rc4'],
  plain: ['--encryption', 'disabled'],
  utp: ['--encryption', 'disabled', '--transports', 'utp'],
}
const ENC_LT = {
  rc4: { enc: 'forced', enc_level: 'rc4' },
  plain: { enc: 'disabled' },
  utp: { enc: 'disabled', utp: true },
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** The node flags of a CLI build's launcher line (`':' //; exec node <flags> "$0" "$@"`), if it has one. */
function launcherFlags(bin) {
  const line = readFileSync(bin, 'utf8').split('\n', 2)[1] ?? ''
  return /^':' \/\/; exec node (.*) "\$0" "\$@"$/.exec(line)?.[1].split(' ').filter(Boolean) ?? []
}

/** Each CLI build's launcher flags, read on its first run. */
const flagsByBin = new Map()

/**
 * Runs our CLI (or BENCH_BASE's) as a user's `p2p` runs, with the node flags of its launcher line,
 * and `nodeArgs` after them.
 */
function startOurs(kind, nodeArgs, args, env) {
  const bin = kind === 'base' ? BASE : P2P
  if (!flagsByBin.has(bin)) flagsByBin.set(bin, launcherFlags(bin))
  return start(process.execPath, [...flagsByBin.get(bin), ...nodeArgs, bin, ...args], env)
}

/** Spawns a command under /usr/bin/time; `rssKiB()` is its peak RSS once it exited. */
function start(cmd, args, env = process.env) {
  const child = spawn('/usr/bin/time', ['-f', 'PEAKRSS %M CPU %U %S', cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  })
  children.add(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (b) => (out += b))
  child.stderr.on('data', (b) => (err += b))
  const exited = new Promise((r) => child.once('close', (code) => r(code)))
  return {
    child,
    exited,
    out: () => out,
    err: () => err,
    rssKiB: () => Number(/PEAKRSS (\d+)/.exec(err)?.[1] ?? Number.NaN),
    /** User + system CPU seconds once it exited (less noisy than wall time on a shared machine). */
    cpuSeconds: () => {
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(err)
      return m ? Number(m[1]) + Number(m[2]) : Number.NaN
    },
    waitFor(re, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now()
        const tick = () => {
          const m = re.exec(out)
          if (m) return resolve(m)
          if (child.exitCode !== null || Date.now() - t0 > ms)
            return reject(new Error(`no ${re} in\n${out}\n${err}`))
          setTimeout(tick, 20)
        }
        tick()
      })
    },
  }
}

async function stop(p) {
  if (p.child.exitCode === null) {
    try {
      process.kill(-p.child.pid, 'SIGINT')
    } catch {}
    const t = setTimeout(() => {
      try {
        process.kill(-p.child.pid, 'SIGKILL')
      } catch {}
    }, 5000)
    await p.exited
    clearTimeout(t)
  }
  children.delete(p.child)
}

/** aria2 cannot be given a peer address: its pairs meet through our tracker (`p2p tracker`). */
let ariaTracker
async function aria2Args() {
  if (!ariaTracker) {
    const p = start(process.execPath, [
      P2P,
      'tracker',
      '--host',
      '127.0.0.1',
      '--port',
      String(await freePort()),
    ])
    const [url] = await p.waitFor(/^http:\/\/\S+/m)
    ariaTracker = { p, url }
  }
  return [
    '--enable-dht=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    `--bt-tracker=${ariaTracker.url}`,
    '--file-allocation=none',
    '--console-log-level=warn',
    '--summary-interval=0',
    `--listen-port=${await freePort()}`,
  ]
}

async function seeder(kind, dir, torrentFile, enc) {
  const port = await freePort()
  if (kind === 'aria2') {
    const args = [...(await aria2Args()), '--bt-seed-unverified=true', '--check-integrity=false']
    const p = start('aria2c', [...args, '--seed-ratio=0.0', `--dir=${join(dir, 'src')}`, torrentFile])
    await new Promise((r) => setTimeout(r, 1500)) // it announces once it has loaded the torrent
    return { p, port }
  }
  if (kind === 'ours' || kind === 'base') {
    const p = startOurs(kind, SEED_NODE_ARGS, [
      'seed',
      join(dir, 'src', 'bench.bin'),
      '--torrent',
      torrentFile,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-lsd',
      ...(ENC_FLAGS[enc] ?? []),
    ])
    await p.waitFor(/^magnet:/m)
    return { p, port }
  }
  const p = start(PY, [
    LT,
    JSON.stringify({
      mode: 'seed',
      torrent: torrentFile,
      save_path: join(dir, 'src'),
      port,
      ...ENC_LT[enc],
    }),
  ])
  await p.waitFor(/"type": "ready"/)
  return { p, port }
}

async function leech(kind, dir, torrentFile, port, enc) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`)
  await mkdir(out)
  const t0 = performance.now()
  let p
  let rssSplit
  if (kind === 'aria2') {
    p = start('aria2c', [...(await aria2Args()), '--seed-time=0', `--dir=${out}`, torrentFile])
    const code = await p.exited
    if (code !== 0) throw new Error(`aria2 exited ${code}: ${p.out().slice(-500)}`)
  } else if (kind === 'ours' || kind === 'base') {
    const split = RSS_SPLIT && kind === 'ours' ? ['--require', RSS_SPLIT_PRELOAD] : []
    p = startOurs(
      kind,
      [...NODE_ARGS, ...split],
      [
        'download',
        torrentFile,
        '-o',
        out,
        '--peer',
        `127.0.0.1:${port}`,
        '--host',
        '127.0.0.1',
        '--no-lsd',
        '--json',
        ...(ENC_FLAGS[enc] ?? []),
      ],
      { ...process.env, RSS_SPLIT_OUT: join(out, 'rss-split.json') },
    )
    const code = await p.exited
    if (code !== 0) throw new Error(`ours exited ${code}: ${p.err().slice(-500)}`)
    if (split.length) rssSplit = JSON.parse(await readFile(join(out, 'rss-split.json'), 'utf8'))
  } else {
    const lport = await freePort()
    p = start(PY, [
      LT,
      JSON.stringify({
        mode: 'leech',
        torrent: torrentFile,
        save_path: out,
        port: lport,
        peers: [`127.0.0.1:${port}`],
        ...ENC_LT[enc],
      }),
    ])
    await p.waitFor(/"type": "done"/, 600_000)
  }
  const seconds = (performance.now() - t0) / 1000
  await stop(p)
  await rm(out, { recursive: true, force: true })
  return { seconds, rssMiB: p.rssKiB() / 1024, cpu: p.cpuSeconds(), rssSplit }
}

/** One seeder -> leecher transfer of the whole file. */
async function transfer(from, to, dir, torrentFile, enc) {
  const s = await seeder(from, dir, torrentFile, enc)
  try {
    const r = await leech(to, dir, torrentFile, s.port, enc)
    await stop(s.p)
    return {
      mbps: SIZE / 1e6 / r.seconds,
      rssMiB: r.rssMiB,
      rssSplit: r.rssSplit,
      cpu: r.cpu,
      seedCpu: s.p.cpuSeconds(),
      load: loadavg()[0],
    }
  } catch (err) {
    return { note: `failed: ${err.message.split('\n')[0]}` }
  } finally {
    await stop(s.p)
  }
}

/** CPU seconds of one transfer of SIZE bytes, per GiB. */
function perGiB(seconds) {
  return ((seconds * 2 ** 30) / SIZE).toFixed(2)
}

/** A pair's row: the median run by speed, the highest peak RSS of all runs, every run's MB/s. */
function summarize(name, list) {
  const ok = list.filter((r) => r.mbps).sort((a, b) => a.mbps - b.mbps)
  if (ok.length === 0) return { name, note: list[0].note }
  const median = ok[Math.floor((ok.length - 1) / 2)]
  const highest = ok.reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a))
  return {
    name,
    ...median,
    rssMiB: highest.rssMiB,
    rssSplit: highest.rssSplit,
    all: list.map((r) => (r.mbps ? r.mbps.toFixed(0) : 'failed')),
    loads: list.map((r) => (r.load === undefined ? '-' : r.load.toFixed(1))),
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'swarm-bench-'))
  const rows = []
  try {
    await mkdir(join(dir, 'src'))
    const file = join(dir, 'src', 'bench.bin')
    const ws = createWriteStream(file)
    for (let left = SIZE; left > 0; left -= 2 ** 20) {
      if (!ws.write(randomBytes(Math.min(left, 2 ** 20)))) await new Promise((r) => ws.once('drain', r))
    }
    ws.end()
    await finished(ws)
    const { torrent } = await createTorrent(file, { version: 1, pieceLength: 2 ** 20 })
    const torrentFile = join(dir, 'bench.torrent')
    await writeFile(torrentFile, torrent)
    console.log(
      `swarm transfer benchmark: ${SIZE / 2 ** 20} MiB v1 torrent, 1 MiB pieces, 127.0.0.1, ${UTP ? 'uTP' : 'TCP'}`,
    )
    // The two pairs of the target run ROUNDS times, interleaved; the others once.
    const headline = [['ours', 'ours'], ['libtorrent', 'libtorrent'], ...(BASE ? [['base', 'base']] : [])]
    const others = [
      ['aria2', 'aria2'],
      ['ours', 'libtorrent'],
      ['libtorrent', 'ours'],
    ]
    const mse = [
      ['ours', 'ours', 'rc4'],
      ['libtorrent', 'libtorrent', 'rc4'],
      ['ours', 'ours', 'plain'],
    ]
    const utp = [
      ['ours', 'ours', 'utp'],
      ['libtorrent', 'libtorrent', 'utp'],
      ['ours', 'ours', 'plain'],
    ]
    const plan = MSE
      ? Array.from({ length: ROUNDS }, () => mse).flat()
      : UTP
        ? Array.from({ length: ROUNDS }, () => utp).flat()
        : [...Array.from({ length: ROUNDS }, () => headline).flat(), ...others]
    const runs = new Map()
    for (const [from, to, enc] of plan) {
      const name = `${from} -> ${to}${enc ? ` (${enc})` : ''}`
      // The plain pairs stay plain (MSE off): our default would otherwise dial with RC4.
      if (PAIRS && !PAIRS.includes(name)) continue
      if (!runs.has(name)) runs.set(name, [])
      runs.get(name).push(await transfer(from, to, dir, torrentFile, enc ?? 'plain'))
    }
    for (const [name, list] of runs) rows.push(summarize(name, list))
  } finally {
    if (ariaTracker) await stop(ariaTracker.p)
    await Promise.all(
      [...children].map((c) => stop({ child: c, exited: new Promise((r) => c.once('close', r)) })),
    )
    await rm(dir, { recursive: true, force: true })
  }
  for (const r of rows) {
    console.log(
      r.note
        ? `${r.name.padEnd(26)} ${r.note}`
        : `${r.name.padEnd(26)} ${r.mbps.toFixed(1).padStart(7)} MB/s   leecher peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB   CPU s/GiB leecher ${perGiB(r.cpu)} seeder ${perGiB(r.seedCpu)}   ${r.all.length > 1 ? `(median of ${r.all.join(', ')}) ` : ''}load ${r.loads.join(', ')}`,
    )
  }
  const by = Object.fromEntries(rows.map((r) => [r.name, r]))
  if (MSE) {
    const rc4 = by['ours -> ours (rc4)']
    const ltRc4 = by['libtorrent -> libtorrent (rc4)']
    const plain = by['ours -> ours (plain)']
    if (rc4?.mbps && ltRc4?.mbps) {
      const ratio = rc4.mbps / ltRc4.mbps
      console.log(
        `speed with RC4: ours/libtorrent = ${ratio.toFixed(2)}x (target >= 1.2x) ${ratio >= 1.2 ? 'PASS' : 'FAIL'}`,
      )
    }
    if (rc4?.mbps && plain?.mbps) {
      console.log(
        `RC4 overhead: ours RC4/plain speed = ${(rc4.mbps / plain.mbps).toFixed(2)}x, CPU s leecher ${rc4.cpu.toFixed(2)} vs ${plain.cpu.toFixed(2)}, seeder ${rc4.seedCpu.toFixed(2)} vs ${plain.seedCpu.toFixed(2)}`,
      )
    }
    return
  }
  if (UTP) {
    const utp = by['ours -> ours (utp)']
    const ltUtp = by['libtorrent -> libtorrent (utp)']
    const tcp = by['ours -> ours (plain)']
    if (utp?.mbps && ltUtp?.mbps) {
      const ratio = utp.mbps / ltUtp.mbps
      console.log(
        `speed over uTP: ours/libtorrent = ${ratio.toFixed(2)}x (target >= 1.5x) ${ratio >= 1.5 ? 'PASS' : 'FAIL'}`,
      )
    }
    if (utp?.mbps && tcp?.mbps) {
      console.log(
        `ours uTP/TCP speed = ${(utp.mbps / tcp.mbps).toFixed(2)}x, CPU s/GiB leecher ${perGiB(utp.cpu)} vs ${perGiB(tcp.cpu)}, seeder ${perGiB(utp.seedCpu)} vs ${perGiB(tcp.seedCpu)}`,
      )
    }
    return
  }
  const ours = by['ours -> ours']
  const lt = by['libtorrent -> libtorrent']
  if (ours?.mbps && lt?.mbps) {
    const ratio = ours.mbps / lt.mbps
    console.log(
      `speed: ours/libtorrent = ${ratio.toFixed(2)}x (target >= 2.0x) ${ratio >= 2 ? 'PASS' : 'FAIL'}`,
    )
    const base = by['base -> base']
    if (base?.mbps) {
      console.log(
        `ours/base = ${(ours.mbps / base.mbps).toFixed(2)}x speed, base/libtorrent = ${(base.mbps / lt.mbps).toFixed(2)}x, base leecher peak RSS ${base.rssMiB.toFixed(0)} MiB`,
      )
    }
    console.log(
      `memory: ours leecher peak RSS ${ours.rssMiB.toFixed(0)} MiB (target <= 64 MiB) ${ours.rssMiB <= 64 ? 'PASS' : 'FAIL'}`,
    )
    const sp = ours.rssSplit
    if (sp) {
      const mib = (b) => (b / 2 ** 20).toFixed(1)
      const rest = sp.rss - sp.binary - sp.heap - sp.external
      console.log(
        `ours leecher RSS at its sampled peak ${mib(sp.rss)} MiB = node binary ${mib(sp.binary)} + V8 heap ${mib(sp.heap)} + external (piece and socket buffers) ${mib(sp.external)} + the rest (malloc, libraries, stacks) ${mib(rest)}`,
      )
    }
  }
}

await main()
