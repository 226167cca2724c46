// The runtime floor: what Node itself does on this machine with no tracker logic at all. It answers every UDP
// connect / announce (BEP 15) and every HTTP GET with a fixed, valid, peerless reply, over the same kind of sockets
// our tracker uses (node:dgram with a literal lookup; node:net with one write per response, keep-alive unless the
// client asks to close). No store, no parsing beyond finding the end of a request head. Any Node tracker costs at
// least this much per announce, so comparing it with opentracker in the same run shows what the runtime allows.
// Prints {httpUrl, udpUrl, httpPort, udpPort} as one JSON line; stops on SIGTERM/SIGINT.
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'

const body = 'd8:completei0e10:incompletei0e8:intervali1800e12:min intervali60e5:peers0:e'
const reply = (close) =>
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`,
  )
const KEEP = reply(false)
const CLOSE = reply(true)
const END = Buffer.from('\r\n\r\n')
const CLOSE_HEADER = /\r\nconnection:[ \t]*close/i

const http = createServer((socket) => {
  let pending = ''
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1')
    for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
      const head = pending.slice(0, end)
      pending = pending.slice(end + END.length)
      if (CLOSE_HEADER.test(head)) {
        socket.end(CLOSE, () => socket.destroy())
        return
      }
      socket.write(KEEP)
    }
  })
  socket.on('error', () => socket.destroy())
})
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
const port = http.address().port

const udp = createSocket({ type: 'udp4', lookup: (address, family, cb) => cb(null, address, family) })
udp.on('message', (msg, rinfo) => {
  if (msg.length < 16) return
  const action = msg.readUInt32BE(8)
  const out = Buffer.allocUnsafe(action === 0 ? 16 : 20)
  out.writeUInt32BE(action === 0 ? 0 : 1, 0)
  out.writeUInt32BE(msg.readUInt32BE(12), 4)
  if (action === 0) out.fill(7, 8)
  else {
    out.writeUInt32BE(1800, 8)
    out.writeUInt32BE(0, 12)
    out.writeUInt32BE(0, 16)
  }
  udp.send(out, rinfo.port, rinfo.address)
})
await new Promise((resolve) => udp.bind(port, '127.0.0.1', resolve))
try {
  udp.setRecvBufferSize(4 << 20)
  udp.setSendBufferSize(4 << 20)
} catch {}

process.stdout.write(
  `${JSON.stringify({ httpUrl: `http://127.0.0.1:${port}/announce`, udpUrl: `udp://127.0.0.1:${port}`, httpPort: port, udpPort: port })}\n`,
)
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(0))
