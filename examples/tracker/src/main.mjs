// A runnable tracker over the public API of @p2p/tracker-server: HTTP + UDP announces, a /stats page
// and Prometheus /metrics, JSON logs on stderr, clean stop on Ctrl-C.
//   pnpm --filter @p2p/example-tracker start [port]          (port 0 or absent: any free port)
//   pnpm --filter @p2p/example-tracker start -- --self-test  (announces two peers to itself, prints stats, exits)
import { randomBytes } from 'node:crypto'
import { createTrackerServer, jsonLogger } from '@p2p/tracker-server'

const selfTest = process.argv.includes('--self-test')
const port = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 0)
const ac = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => ac.abort())

const server = createTrackerServer({
  host: '127.0.0.1',
  httpPort: port,
  interval: 600,
  logger: jsonLogger({ stream: process.stderr }),
  signal: ac.signal,
})
server.on('announce', (a) =>
  console.log(`announce ${a.protocol} ${a.event} ${a.infoHash.slice(0, 8)}… from ${a.host}:${a.port}`),
)

const { httpUrl, udpUrl } = await server.listen()
const statsUrl = httpUrl.replace(/\/announce$/, '/stats')
console.log(httpUrl)
console.log(udpUrl)
console.log(`stats:   ${statsUrl}`)
console.log(`metrics: ${httpUrl.replace(/\/announce$/, '/metrics')}`)

if (selfTest) {
  // Two peers of one torrent announce over HTTP; the second gets the first back.
  const pct = (b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')
  const infoHash = randomBytes(20)
  for (const [peerPort, left] of [
    [6881, 0],
    [6882, 1000],
  ]) {
    const q = `info_hash=${pct(infoHash)}&peer_id=${pct(randomBytes(20))}&port=${peerPort}&left=${left}&event=started`
    await fetch(`${httpUrl}?${q}`)
  }
  const stats = await (await fetch(statsUrl)).json()
  console.log(`stats: ${stats.torrents} torrent(s), ${stats.seeders} seeder(s), ${stats.leechers} leecher(s)`)
  ac.abort()
}
await new Promise((resolve) => server.once('close', resolve))
console.log('tracker stopped')
