// npm bittorrent-tracker (the reference Node tracker) as a benchmark target: HTTP + UDP on one free port
// of 127.0.0.1. Prints {httpUrl, udpUrl, httpPort, udpPort} as one JSON line; stops on SIGTERM/SIGINT.
import { createServer } from 'node:net'
import Server from 'bittorrent-tracker/server'

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port
    s.close(() => resolve(p))
  })
})
const server = new Server({ http: true, udp: true, ws: false, stats: false, trustProxy: false })
server.on('error', (err) => console.error('bittorrent-tracker error:', err.message))
server.on('warning', () => {})
server.listen({ http: port, udp: port }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => {
  const info = {
    httpUrl: `http://127.0.0.1:${port}/announce`,
    udpUrl: `udp://127.0.0.1:${port}`,
    httpPort: port,
    udpPort: port,
  }
  process.stdout.write(`${JSON.stringify(info)}\n`)
})
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => server.close(() => process.exit(0)))
