// The generator the reference tracker figures were measured with (kept as it was so figures compare).
// Bounded UDP (BEP 15) announce load generator: `concurrency` virtual clients, each connect once then announce in a loop.
// usage: node udp-announce-load.mjs <host> <port> [seconds=10] [concurrency=64] [hashfile|-] [timeout_ms=1000]

import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { hashSource, report } from './load-common.mjs'

const [host, port, secs = '10', conc = '64', hashFile, tmo = '1000'] = process.argv.slice(2)
if (!port) {
  console.error(
    'usage: node udp-announce-load.mjs <host> <port> [seconds] [concurrency] [hashfile|-] [timeout_ms]',
  )
  process.exit(1)
}
const nextHash = hashSource(hashFile)
const sock = dgram.createSocket('udp4')
sock.on('listening', () => {
  try {
    sock.setRecvBufferSize(8 << 20)
    sock.setSendBufferSize(8 << 20)
  } catch {}
})
const pending = new Map() // tid -> {client, kind, t}
let tidCounter = 1,
  ok = 0,
  errors = 0,
  timeouts = 0
const lat = []
const t0 = performance.now(),
  end = t0 + +secs * 1000
const clients = Array.from({ length: +conc }, () => ({
  connId: null,
  peerId: randomBytes(20),
  port: 1024 + ((Math.random() * 60000) | 0),
}))
function send(c) {
  if (performance.now() >= end) return maybeFinish()
  tidCounter = (tidCounter + 1) >>> 0 || 1
  const tid = tidCounter
  let b
  if (!c.connId) {
    b = Buffer.alloc(16)
    b.writeBigUInt64BE(0x41727101980n, 0)
    b.writeUInt32BE(0, 8)
    b.writeUInt32BE(tid, 12)
  } else {
    b = Buffer.alloc(98)
    c.connId.copy(b, 0)
    b.writeUInt32BE(1, 8)
    b.writeUInt32BE(tid, 12)
    nextHash().copy(b, 16)
    c.peerId.copy(b, 36)
    b.writeBigUInt64BE(0n, 56)
    b.writeBigUInt64BE(Math.random() < 0.5 ? 0n : 1048576n, 64)
    b.writeBigUInt64BE(0n, 72)
    b.writeUInt32BE(2, 80)
    b.writeUInt32BE(0, 84)
    b.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, 88)
    b.writeInt32BE(50, 92)
    b.writeUInt16BE(c.port, 96)
  }
  const p = { c, kind: c.connId ? 'announce' : 'connect', t: performance.now() }
  p.timer = setTimeout(() => {
    pending.delete(tid)
    timeouts++
    c.connId = null
    send(c)
  }, +tmo)
  pending.set(tid, p)
  sock.send(b, +port, host)
}
sock.on('message', (m) => {
  if (m.length < 8) return
  const action = m.readUInt32BE(0),
    tid = m.readUInt32BE(4),
    p = pending.get(tid)
  if (!p) return
  pending.delete(tid)
  clearTimeout(p.timer)
  if (action === 0 && m.length >= 16) p.c.connId = Buffer.from(m.subarray(8, 16))
  else if (action === 1 && m.length >= 20) {
    ok++
    lat.push(performance.now() - p.t)
  } else {
    if (errors++ < 3) console.error('error response', action, m.subarray(8).toString())
    p.c.connId = null
  }
  send(p.c)
})
let finished = false
function maybeFinish() {
  if (finished || [...pending.values()].length) return
  finished = true
  report(`udp://${host}:${port} (node udp_load)`, {
    ok,
    errors,
    timeouts,
    lat,
    seconds: (performance.now() - t0) / 1000,
    conc: +conc,
  })
  sock.close()
}
setTimeout(
  () => {
    for (const [, p] of pending) clearTimeout(p.timer)
    pending.clear()
    maybeFinish()
  },
  +secs * 1000 + 2000,
)
sock.bind(0, '127.0.0.1', () => clients.forEach(send))
