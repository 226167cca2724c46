// uTP loopback benchmark: our uTP stream against our TCP stream (node:net), ours -> ours in a sender and
// a receiver process each, interleaved in the same run. Prints MiB/s, CPU per MiB, the ratio against the
// target of the issue (our uTP/our TCP >= 0.5) and the load average next to every row. Then the
// recovery lines: how long a transfer takes to get its rate back after a closed receive window or a
// link outage, on the simulated link of the tests (virtual time). The comparison with libtorrent over
// uTP is a full BitTorrent transfer each side: `pnpm --filter @p2p/swarm bench:utp`.
// Usage: node bench/utp-bench.mjs [MiB] (default 1024; UTP_BENCH_MIB too; UTP_BENCH_ROUNDS, default 3).
// BENCH_ONLY=utp|tcp runs one of our rows alone (BENCH_STATS=1 adds the sender's counters);
// `--recovery` prints only the recovery lines; BENCH_PROF=<dir> writes CPU profiles of both processes.
// Needs a build (pnpm build). The CPU figure is both processes' CPU time (the receiver's includes SHA-1).
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

const MIB = 1 << 20
/** The fixed datagram size of the row without MTU probing (what a peer that does not announce gets). */
const SMALL_PACKET = 1400
const CHUNK = 64 * 1024

/** `BENCH_PACKET_SIZE` fixes the datagram size (default: MTU probing, up to 65507 bytes on loopback). */
function utpOptions() {
  const o = process.env.BENCH_PACKET_SIZE ? { packetSize: Number(process.env.BENCH_PACKET_SIZE) } : {}
  return o
}

async function loadUtp() {
  return import(new URL('../dist/index.js', import.meta.url).href)
}

/** A deterministic payload chunk so both sides can check the stream without holding it. */
function payload() {
  const b = Buffer.alloc(CHUNK)
  for (let i = 0; i < CHUNK; i++) b[i] = (i * 131 + 7) & 255
  return b
}

async function receiver(transport) {
  const bytes = Number(process.env.BENCH_BYTES)
  const hash = createHash('sha1')
  let got = 0
  let t0 = 0
  let c0
  const onStream = (s) => {
    t0 = performance.now()
    c0 = process.cpuUsage()
    s.on('data', (c) => {
      got += c.length
      hash.update(c)
    })
    s.on('end', () => {
      const seconds = (performance.now() - t0) / 1000
      const cpu = process.cpuUsage(c0)
      const packetSize = s.connection?.packetSize
      process.send({
        got,
        seconds,
        cpu: (cpu.user + cpu.system) / 1e6,
        sys: cpu.system / 1e6,
        sha1: hash.digest('hex'),
        bytes,
        packetSize,
      })
      process.once('message', () => process.exit(0))
    })
  }
  if (transport === 'utp') {
    const { UtpSocket } = await loadUtp()
    const socket = new UtpSocket(utpOptions())
    await socket.listen(0, '127.0.0.1')
    socket.on('connection', onStream)
    process.send({ port: socket.address().port })
  } else {
    const server = createServer({ noDelay: true }, onStream)
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    process.send({ port: server.address().port })
  }
}

async function sender(transport, port) {
  const bytes = Number(process.env.BENCH_BYTES)
  let stream
  if (transport === 'utp') {
    const { UtpSocket } = await loadUtp()
    const socket = new UtpSocket(utpOptions())
    await socket.bind(0, '127.0.0.1')
    stream = socket.connect(port, '127.0.0.1')
  } else stream = connect({ port, host: '127.0.0.1', noDelay: true })
  await once(stream, 'connect')
  if (process.env.BENCH_TRACE)
    setInterval(() => {
      const c = stream.connection
      console.error(
        'cwnd',
        c.cwnd | 0,
        'pw',
        c.peerWindow,
        'inflight',
        c.inFlight,
        'rtt',
        c.rtt.toFixed(2),
        'to',
        c.stats.timeouts,
        'loss',
        c.stats.losses,
      )
    }, 200).unref()
  const c0 = process.cpuUsage()
  const chunk = payload()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(CHUNK, bytes - sent)
    sent += n
    if (!stream.write(n === CHUNK ? chunk : chunk.subarray(0, n))) await once(stream, 'drain')
  }
  stream.end()
  await once(stream, 'finish')
  const cpu = process.cpuUsage(c0)
  process.send({
    cpu: (cpu.user + cpu.system) / 1e6,
    sys: cpu.system / 1e6,
    packetSize: stream.connection?.packetSize,
    stats: stream.connection?.stats,
  })
  await once(process, 'message')
  process.exit(0)
}

function expectedSha1(bytes) {
  const h = createHash('sha1')
  const chunk = payload()
  for (let sent = 0; sent < bytes; sent += CHUNK) h.update(chunk.subarray(0, Math.min(CHUNK, bytes - sent)))
  return h.digest('hex')
}

async function ours(transport, bytes, packetSize) {
  const self = fileURLToPath(import.meta.url)
  const env = { ...process.env, BENCH_BYTES: String(bytes) }
  if (packetSize) env.BENCH_PACKET_SIZE = String(packetSize)
  // BENCH_PROF=<dir>: both processes write a CPU profile there (node --cpu-prof).
  const execArgv = process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []
  const rx = fork(self, ['--receiver', transport], { env, execArgv })
  const [{ port }] = await once(rx, 'message')
  const tx = fork(self, ['--sender', transport, String(port)], { env, execArgv })
  const [senderCpu] = await once(tx, 'message')
  const [result] = await once(rx, 'message')
  tx.send('bye')
  rx.send('bye')
  await Promise.all([once(tx, 'exit'), once(rx, 'exit')])
  if (result.got !== bytes || result.sha1 !== expectedSha1(bytes))
    throw new Error(`${transport}: corrupt transfer`)
  return {
    seconds: result.seconds,
    cpu: result.cpu + senderCpu.cpu,
    packetSize: senderCpu.packetSize,
    stats: senderCpu.stats,
    sys: senderCpu.sys,
    senderCpu: senderCpu.cpu,
    receiver: `${result.cpu.toFixed(2)} s (system ${result.sys.toFixed(2)})`,
    load: loadavg()[0],
  }
}

/** Bucket width of the simulated receiver's throughput record, virtual ms. */
const BUCKET_MS = 10
/** Throughput is "recovered" when the rate over this many virtual ms reaches RECOVERED of the rate before. */
const RATE_SPAN_MS = 100
const RECOVERED = 0.9

/**
 * Recovery on the simulated link of the tests (virtual clock, so no load enters the figures): a bulk
 * transfer at a 5 MB/s bottleneck with 10 ms one-way delay is interrupted for 2 s at t = 2 s, then
 * resumed. Returns the virtual ms from resuming to the first delivered byte, and to the rate over
 * RATE_SPAN_MS reaching RECOVERED of the rate before the interruption.
 * `interrupt(link)` starts the interruption and returns the function that ends it.
 */
async function recovery(interrupt) {
  const { SimLink, pumpSimLink } = await loadUtp()
  const link = new SimLink(1, { rate: 5_000, delayMs: 10 })
  pumpSimLink(link, 0, Buffer.alloc(64 * MIB))
  const buckets = []
  // Counts each delivered chunk in the bucket of the virtual time it arrived at (and keeps none).
  link.ends[1].received.push = (chunk) => {
    const b = Math.floor(link.now / BUCKET_MS)
    buckets[b] = (buckets[b] ?? 0) + chunk.length
    return 0
  }
  const runUntil = (t) => link.runUntil(t)
  const rateBefore = (t) => {
    let sum = 0
    for (let b = (t - RATE_SPAN_MS) / BUCKET_MS; b < t / BUCKET_MS; b++) sum += buckets[b] ?? 0
    return sum
  }
  runUntil(2000)
  const before = rateBefore(2000)
  const resume = interrupt(link)
  runUntil(4000)
  resume()
  runUntil(8000)
  const first = buckets.findIndex((v, b) => b >= 4000 / BUCKET_MS && v > 0) * BUCKET_MS - 4000
  let full = Number.NaN
  for (let t = 4000 + BUCKET_MS; t <= 8000; t += BUCKET_MS) {
    if (rateBefore(t) >= RECOVERED * before) {
      full = t - 4000
      break
    }
  }
  return { first, full }
}

/** The receiving application stops reading: our receiver advertises a zero window, then a window update. */
function closedWindow(link) {
  const receiver = link.ends[1].conn
  receiver.setReadBuffered(1 << 30)
  return () => {
    receiver.setReadBuffered(0)
    receiver.flush() // as UtpStream#_read has the socket do
  }
}

/**
 * As {@link closedWindow}, but the receiver behaves like libtorrent: it drops data beyond its window and
 * sends no window update, so the sender learns of the reopened window from its next probe.
 */
function closedWindowSilent(link) {
  const resume = closedWindow(link)
  link.drop = (to, bytes) => to === 1 && bytes[0] >> 4 === 0
  return () => {
    resume()
    let probed = false
    link.drop = (to, bytes) => {
      if (to === 1 && bytes[0] >> 4 === 0) probed = true
      return to === 0 && !probed
    }
  }
}

/** Every packet both ways is lost (a link outage: retransmission timeouts with backoff). */
function outage(link) {
  link.drop = () => true
  return () => {
    link.drop = undefined
  }
}

async function recoveryLines() {
  console.log(
    `recovery after a 2 s interruption (simulated 5 MB/s link, 10 ms one-way delay, virtual time): ms to the first byte / to ${RECOVERED * 100}% of the rate before over ${RATE_SPAN_MS} ms`,
  )
  for (const [name, interrupt] of [
    ['closed receive window, window update', closedWindow],
    ['closed receive window, silent (libtorrent)', closedWindowSilent],
    ['link outage (all packets lost)', outage],
  ]) {
    const r = await recovery(interrupt)
    console.log(`  ${name.padEnd(44)} ${String(r.first).padStart(6)} ms / ${String(r.full).padStart(6)} ms`)
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main() {
  const mib = Number(process.argv[2] ?? process.env.UTP_BENCH_MIB ?? 1024)
  const rounds = Number(process.env.UTP_BENCH_ROUNDS ?? 3)
  const bytes = mib * MIB
  console.log(`uTP loopback benchmark: ${mib} MiB per transfer, ${rounds} interleaved rounds, medians`)
  const runs = { utp: [], small: [], tcp: [] }
  const only = process.env.BENCH_ONLY
  if (only) {
    const r = await ours(only, bytes)
    console.log(
      `ours ${only} only: ${(mib / r.seconds).toFixed(1)} MiB/s, CPU ${((r.cpu * 1000) / mib).toFixed(1)} ms/MiB, load ${loadavg()[0].toFixed(1)}`,
    )
    if (process.env.BENCH_STATS)
      console.log(
        r.packetSize,
        r.stats,
        'sender sys s',
        r.sys,
        'sender cpu s',
        r.senderCpu,
        'receiver',
        r.receiver,
      )
    return
  }
  for (let r = 0; r < rounds; r++) {
    runs.utp.push(await ours('utp', bytes))
    runs.small.push(await ours('utp', bytes, SMALL_PACKET))
    runs.tcp.push(await ours('tcp', bytes))
  }
  const row = (name, list) => {
    const rate = median(list.map((r) => mib / r.seconds))
    const cpu = median(list.map((r) => (r.cpu * 1000) / mib))
    const all = list.map((r) => (mib / r.seconds).toFixed(1)).join(' ')
    const sizes = list[0].packetSize ? `, packets ${list.map((r) => r.packetSize).join(' ')} B` : ''
    const loads = list.map((r) => r.load.toFixed(1)).join(' ')
    console.log(
      `${name.padEnd(34)} ${rate.toFixed(1).padStart(7)} MiB/s  CPU ${cpu.toFixed(1).padStart(6)} ms/MiB = ${(cpu * 1.024).toFixed(1)} s/GiB  (runs: ${all}${sizes}; load ${loads})`,
    )
    return rate
  }
  const utp = row('ours -> ours, uTP (MTU probing)', runs.utp)
  const small = row('ours -> ours, uTP, fixed 1400 B', runs.small)
  const tcp = row('ours -> ours, TCP (node:net)', runs.tcp)
  console.log(
    `ratio ours uTP / ours TCP: ${(utp / tcp).toFixed(2)} (target >= 0.5) ${utp / tcp >= 0.5 ? 'PASS' : 'FAIL'}`,
  )
  console.log(
    `at a fixed 1400 B (a peer that does not announce its datagram size, as libtorrent): uTP/TCP ${(small / tcp).toFixed(2)}`,
  )
  await recoveryLines()
}

const [role, transport, port] = process.argv.slice(2)
if (role === '--receiver') await receiver(transport)
else if (role === '--sender') await sender(transport, Number(port))
else if (role === '--recovery') await recoveryLines()
else await main()
