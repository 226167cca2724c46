// Pushes piece messages through two Wires joined over loopback TCP and compares the rate with a plain
// socket pair moving the same bytes (same framing, same chunk size) in the same run.
//
//   node bench/wire-throughput.mjs [bytes=1GiB] [--rounds=5] [--depth=128] [--batch=16] [--json]
//
// Both ends of each pair live in this process (one JS thread), for the reference as for the wires.
// Run `pnpm turbo run build --filter @p2p/peer-wire...` first: this imports the built dist.
import { connect, createServer } from 'node:net'
import { PerformanceObserver } from 'node:perf_hooks'
import { Wire } from '../dist/index.js'

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const a = args.find((x) => x.startsWith(`--${name}=`))
  return a ? Number(a.split('=')[1]) : dflt
}
const TOTAL = Number(args.find((a) => /^\d+$/.test(a)) ?? 1024 * 1024 * 1024)
const ROUNDS = flag('rounds', 5)
const DEPTH = flag('depth', 128)
// The downloader tops its pipeline up once this many requests were answered (requests leave in batches,
// as a real client's do, instead of one tiny write per block).
const BATCH = flag('batch', 16)
const JSON_OUT = args.includes('--json')
const BLOCK = 16384
const PIECE = 1024 * 1024
const TARGET = 0.9 // issue 13: the wire costs at most 10 % of a plain socket

async function socketPair() {
  const server = createServer()
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const accepted = new Promise((r) => server.once('connection', r))
  const client = connect(server.address().port, '127.0.0.1')
  const [s] = await Promise.all([accepted, new Promise((r) => client.once('connect', r))])
  server.close()
  client.setNoDelay(true)
  s.setNoDelay(true)
  return [client, s]
}

/** GC activity during `fn`. */
async function measure(fn) {
  let gcCount = 0
  let gcMs = 0
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++
      gcMs += e.duration
    }
  })
  obs.observe({ entryTypes: ['gc'] })
  global.gc?.()
  const before = process.memoryUsage()
  let peakRss = before.rss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const bytes = await fn()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  await new Promise((r) => setTimeout(r, 10))
  obs.disconnect()
  return {
    MBps: bytes / seconds / 1e6,
    seconds,
    // CPU time of this process (both ends) per GiB moved: less sensitive to other load than MB/s.
    cpuSecondsPerGiB: ((cpu.user + cpu.system) / 1e6) * (2 ** 30 / bytes),
    gcCount,
    gcMs: Math.round(gcMs),
    peakRssMB: Math.round(peakRss / 1e6),
  }
}

/** The reference: one socket writes 16 KiB blocks with a 13-byte piece header, the other reads them. */
async function plain() {
  const [a, b] = await socketPair()
  const chunk = Buffer.alloc(BLOCK + 13, 7)
  const frames = Math.floor(TOTAL / BLOCK)
  return measure(
    () =>
      new Promise((resolve) => {
        let received = 0
        const want = frames * chunk.length
        b.on('data', (d) => {
          received += d.length
          if (received >= want) {
            a.destroy()
            b.destroy()
            resolve(frames * BLOCK)
          }
        })
        let sent = 0
        const pump = () => {
          while (sent < frames) {
            sent++
            if (!a.write(chunk)) return a.once('drain', pump)
          }
        }
        pump()
      }),
  )
}

/** The wire: the downloader keeps DEPTH requests outstanding, the seeder answers each with piece(). */
async function wires() {
  const [sa, sb] = await socketPair()
  const infoHash = new Uint8Array(20).fill(1)
  const pieceCount = Math.ceil(TOTAL / PIECE)
  const geometry = { pieceCount, pieceLength: PIECE, length: TOTAL }
  const opts = { infoHash, ...geometry, maxRequests: DEPTH, maxQueuedRequests: DEPTH * 2 }
  const down = new Wire(sa, { ...opts, peerId: Buffer.from('-BW0001-downloader00') })
  const seed = new Wire(sb, { ...opts, peerId: Buffer.from('-BW0001-seeder000000') })
  const block = Buffer.alloc(BLOCK, 7) // blocks read from disk are Buffers
  seed.on('request', (r) => seed.piece(r.index, r.begin, block))
  seed.on('interested', () => seed.unchoke())
  await new Promise((resolve) => {
    let n = 0
    const done = () => ++n === 2 && resolve()
    down.once('handshake', done)
    seed.once('handshake', done)
    down.handshake()
    seed.handshake()
  })
  seed.haveAll()
  down.haveNone()
  const unchoked = new Promise((r) => down.once('unchoke', r))
  down.interested()
  await unchoked
  const blocks = Math.floor(TOTAL / BLOCK)
  const perPiece = PIECE / BLOCK
  return measure(
    () =>
      new Promise((resolve, reject) => {
        let next = 0
        let got = 0
        const onBlock = (b) => {
          got++
          if (b.length !== BLOCK) reject(new Error('short block'))
          if (got === blocks) {
            down.destroy()
            seed.destroy()
            resolve(blocks * BLOCK)
            return
          }
          if (next - got <= DEPTH - BATCH) fill()
        }
        const fill = () => {
          while (next < blocks && next - got < DEPTH) {
            const i = next++
            down.request(Math.floor(i / perPiece), (i % perPiece) * BLOCK, BLOCK).then(onBlock, reject)
          }
        }
        fill()
      }),
  )
}

const results = { plain: [], wire: [] }
const ONLY = args.find((a) => a.startsWith('--only='))?.split('=')[1]
for (let r = 0; r < ROUNDS; r++) {
  if (ONLY !== 'wire') results.plain.push(await plain())
  if (ONLY !== 'plain') results.wire.push(await wires())
}
if (ONLY) {
  console.log(JSON.stringify(results[ONLY]))
  process.exit(0)
}
const best = (list) => list.reduce((a, b) => (b.MBps > a.MBps ? b : a))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p = best(results.plain)
const w = best(results.wire)
// Each round runs the plain pair then the wires back to back: the median of the per-round ratios is the
// figure least disturbed by other programs on the machine.
const paired = results.wire.map((x, i) => x.MBps / results.plain[i].MBps)
const ratio = median(paired)
const bestRatio = w.MBps / p.MBps
const cpuRatio = median(results.wire.map((x, i) => results.plain[i].cpuSecondsPerGiB / x.cpuSecondsPerGiB))
const summary = {
  bytes: TOTAL,
  rounds: ROUNDS,
  depth: DEPTH,
  batch: BATCH,
  plainSocket: p,
  wire: w,
  ratio: +ratio.toFixed(3),
  pairedRatios: paired.map((r) => +r.toFixed(3)),
  bestRatio: +bestRatio.toFixed(3),
  cpuRatio: +cpuRatio.toFixed(3),
  target: TARGET,
  verdict: ratio >= TARGET ? 'PASS' : 'FAIL',
}
if (JSON_OUT) console.log(JSON.stringify(summary))
else {
  const row = (name, x) =>
    `${name.padEnd(14)} ${x.MBps.toFixed(0).padStart(6)} MB/s  ${x.seconds.toFixed(2)} s  CPU ${x.cpuSecondsPerGiB.toFixed(2)} s/GiB  GC ${x.gcCount} x (${x.gcMs} ms)  peak RSS ${x.peakRssMB} MB`
  console.log(
    `${(TOTAL / 2 ** 20).toFixed(0)} MiB of 16 KiB piece messages over loopback TCP, ${ROUNDS} rounds (best shown)`,
  )
  console.log(row('plain socket', p))
  console.log(row('two Wires', w))
  console.log(`per-round ratios wire / plain: ${summary.pairedRatios.join(' ')}`)
  console.log(
    `ratio wire / plain socket (median of rounds): ${ratio.toFixed(3)}, best vs best ${bestRatio.toFixed(3)} (target >= ${TARGET}): ${summary.verdict}`,
  )
  console.log(`CPU-time ratio plain / wire per byte (median): ${cpuRatio.toFixed(3)}`)
}
