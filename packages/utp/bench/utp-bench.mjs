// uTP loopback benchmark: ours -> ours over uTP and over TCP (a sender and a receiver process each),
// and libtorrent -> libtorrent over uTP only, in the same run. Prints MiB/s, CPU per MiB and the ratios
// against the targets of the issue (ours/libtorrent uTP >= 1.5, our uTP/our TCP >= 0.5).
// Usage: node bench/utp-bench.mjs [MiB] (default 128; UTP_BENCH_MIB too; UTP_BENCH_ROUNDS, default 3).
// BENCH_ONLY=utp|tcp runs one of our rows alone (BENCH_ONLY_UTP=1: utp); BENCH_PROF=<dir> writes CPU profiles of both processes.
// Needs a build (pnpm build). The CPU figure is both processes' CPU time (libtorrent's includes its disk and hashing).
import { execFileSync, fork } from 'node:child_process'
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
  }
}

function libtorrent(bytes) {
  const script = fileURLToPath(new URL('./lt-utp-xfer.py', import.meta.url))
  const out = execFileSync('/usr/bin/python3', [script, String(bytes)], {
    encoding: 'utf8',
    timeout: 900_000,
  })
  const r = JSON.parse(out.trim().split('\n').pop())
  if (!r.ok) throw new Error('libtorrent: corrupt transfer')
  return r
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main() {
  const mib = Number(process.argv[2] ?? process.env.UTP_BENCH_MIB ?? 128)
  const rounds = Number(process.env.UTP_BENCH_ROUNDS ?? 3)
  const bytes = mib * MIB
  console.log(`uTP loopback benchmark: ${mib} MiB per transfer, ${rounds} interleaved rounds, medians`)
  const runs = { lt: [], utp: [], small: [], tcp: [] }
  const only = process.env.BENCH_ONLY ?? (process.env.BENCH_ONLY_UTP ? 'utp' : undefined)
  if (only) {
    const r = await ours(only, bytes)
    console.log(
      `ours ${only} only: ${(mib / r.seconds).toFixed(1)} MiB/s, CPU ${((r.cpu * 1000) / mib).toFixed(1)} ms/MiB, load ${loadavg()[0].toFixed(1)}`,
    )
    if (process.env.BENCH_STATS) console.log(r.packetSize, r.stats)
    return
  }
  for (let r = 0; r < rounds; r++) {
    runs.lt.push(libtorrent(bytes))
    runs.utp.push(await ours('utp', bytes))
    runs.small.push(await ours('utp', bytes, SMALL_PACKET))
    runs.tcp.push(await ours('tcp', bytes))
  }
  const row = (name, list) => {
    const rate = median(list.map((r) => mib / r.seconds))
    const cpu = median(list.map((r) => (r.cpu * 1000) / mib))
    const all = list.map((r) => (mib / r.seconds).toFixed(1)).join(' ')
    const sizes = list[0].packetSize ? `, packets ${list.map((r) => r.packetSize).join(' ')} B` : ''
    console.log(
      `${name.padEnd(34)} ${rate.toFixed(1).padStart(7)} MiB/s  CPU ${cpu.toFixed(1).padStart(6)} ms/MiB = ${(cpu * 1.024).toFixed(1)} s/GiB  (runs: ${all}${sizes})`,
    )
    return rate
  }
  const lt = row('libtorrent -> libtorrent, uTP', runs.lt)
  const utp = row('ours -> ours, uTP (MTU probing)', runs.utp)
  const small = row('ours -> ours, uTP, fixed 1400 B', runs.small)
  const tcp = row('ours -> ours, TCP (node:net)', runs.tcp)
  console.log(`ratio ours uTP / libtorrent uTP: ${(utp / lt).toFixed(2)} (target >= 1.5)`)
  console.log(`ratio ours uTP / ours TCP:       ${(utp / tcp).toFixed(2)} (target >= 0.5)`)
  console.log(
    `at a fixed 1400 B (a peer that does not announce its datagram size, as libtorrent): ours/libtorrent ${(small / lt).toFixed(2)}, uTP/TCP ${(small / tcp).toFixed(2)}`,
  )
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
}

const [role, transport, port] = process.argv.slice(2)
if (role === '--receiver') await receiver(transport)
else if (role === '--sender') await sender(transport, Number(port))
else await main()
