// Runs inside a namespace of lsd.interop.test.ts: our LocalPeerDiscovery (built dist) announcing the given
// info hashes, and a TCP listener on the announced port that reports the BitTorrent handshakes it receives.
import { createServer } from 'node:net'
import { LocalPeerDiscovery } from '../dist/index.js'

const { port, infoHashes, interfaceAddress } = JSON.parse(process.argv[2])
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`)
const HANDSHAKE = 68
createServer((sock) => {
  let buf = Buffer.alloc(0)
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    if (buf.length < HANDSHAKE) return
    say({ event: 'handshake', from: sock.remoteAddress, infoHash: buf.subarray(28, 48).toString('hex') })
    sock.destroy()
  })
  sock.on('error', () => {})
}).listen(port, interfaceAddress)
const lsd = new LocalPeerDiscovery({ port, interfaceAddress, intervalMs: 4000, minIntervalMs: 2000 })
lsd.on('peer', (peer) => say({ event: 'peer', ...peer }))
lsd.on('announced', (a) => say({ event: 'announced', ...a }))
lsd.on('failed', (err) => say({ event: 'failed', code: err.code, message: err.message }))
await lsd.start()
lsd.addTorrent(infoHashes)
say({ event: 'started', cookie: lsd.cookie })
