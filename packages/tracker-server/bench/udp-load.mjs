// Lean BEP 15 announce load generator (same work as udp-announce-load.mjs, cheaper per
// request: packets preallocated per client, no timer per request, one sweep for timeouts).
//   node udp-load.mjs <host> <port> [seconds=10] [concurrency=64] [hashfile] [timeout_ms=1000] [rate=0]
// rate > 0 paces the load: each client sends its next announce concurrency/rate seconds after the previous one
// (rate announces/s in all) instead of as soon as the answer arrives, to measure latency at a fixed load.
// Prints the shared generator's JSON line (announces/s, p50/p99 ms).
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { hashSource, report } from './load-common.mjs'

const [host, port, secs = '10', conc = '64', hashFile, tmo = '1000', rate = '0'] = process.argv.slice(2)
/** Time between one client's announces when paced, ms (0: as fast as answers come). */
const gap = Number(rate) > 0 ? (1000 * Number(conc)) / Number(rate) : 0
const nextHash = hashSource(hashFile)
const sock = dgram.createSocket('udp4')
const lat = []
let ok = 0
let errors = 0
let timeouts = 0
const t0 = performance.now()
const end = t0 + Number(secs) * 1000
const clients = Array.from({ length: Number(conc) }, (_, i) => {
  const announce = Buffer.alloc(98)
  announce.writeUInt32BE(1, 8)
  randomBytes(20).copy(announce, 36)
  announce.writeInt32BE(50, 92)
  announce.writeUInt16BE(1024 + ((Math.random() * 60000) | 0), 96)
  const connect = Buffer.alloc(16)
  connect.writeBigUInt64BE(0x41727101980n, 0)
  return { i, announce, connect, connected: false, tid: 0, sent: 0 }
})
const byTid = new Map()
let tidCounter = 1
function send(c) {
  const now = performance.now()
  if (now >= end) return
  tidCounter = (tidCounter + 1) >>> 0 || 1
  c.tid = tidCounter
  let b
  if (!c.connected) {
    b = c.connect
    b.writeUInt32BE(c.tid, 12)
  } else {
    b = c.announce
    b.writeUInt32BE(c.tid, 12)
    nextHash().copy(b, 16)
    b.writeBigUInt64BE(Math.random() < 0.5 ? 0n : 1048576n, 64)
    b.writeUInt32BE(2, 80)
    b.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, 88)
  }
  c.sent = now
  byTid.set(c.tid, c)
  sock.send(b, Number(port), host)
}
sock.on('message', (m) => {
  if (m.length < 8) return
  const c = byTid.get(m.readUInt32BE(4))
  if (!c) return
  byTid.delete(c.tid)
  const action = m.readUInt32BE(0)
  if (action === 0 && m.length >= 16) {
    m.copy(c.announce, 0, 8, 16)
    c.connected = true
  } else if (action === 1 && m.length >= 20) {
    ok++
    lat.push(performance.now() - c.sent)
    const wait = c.sent + gap - performance.now()
    if (wait > 0) return void setTimeout(send, wait, c)
  } else {
    if (errors++ < 3) console.error('error response', action, m.subarray(8).toString())
    c.connected = false
  }
  send(c)
})
// One sweep for lost datagrams instead of a timer per request.
const sweep = setInterval(() => {
  const now = performance.now()
  for (const [tid, c] of byTid) {
    if (now - c.sent < Number(tmo)) continue
    byTid.delete(tid)
    timeouts++
    c.connected = false
    send(c)
  }
}, 100)
setTimeout(
  () => {
    clearInterval(sweep)
    report(`udp://${host}:${port} (bench/udp-load)`, {
      ok,
      errors,
      timeouts,
      lat,
      seconds: (performance.now() - t0) / 1000,
      conc: Number(conc),
    })
    sock.close()
  },
  Number(secs) * 1000 + 300,
)
sock.bind(0, '127.0.0.1', () => {
  try {
    sock.setRecvBufferSize(8 << 20)
    sock.setSendBufferSize(8 << 20)
  } catch {}
  // Paced clients start spread over one gap, not all at once.
  for (const c of clients) setTimeout(send, (gap * c.i) / clients.length, c)
})
