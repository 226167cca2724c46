// Seeds a file or folder over the public API of @p2p/swarm: creates its torrent, prints the magnet
// link, shows upload progress, and stops cleanly on Ctrl-C.
//   pnpm --filter @p2p/example-seeder start <path> [--tracker url] [--port N]
import { parseArgs } from 'node:util'
import { Client } from '@p2p/swarm'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tracker: { type: 'string', multiple: true }, port: { type: 'string' } },
})
if (!positionals[0]) {
  console.error('usage: main.mjs <file-or-folder> [--tracker url]... [--port N]')
  process.exit(2)
}
const ac = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => ac.abort())

const client = new Client({ port: Number(values.port ?? 0), signal: ac.signal })
const torrent = await client.seed(positionals[0], {
  version: 'hybrid',
  announce: values.tracker?.map((url) => [url]),
})
console.log(torrent.magnetURI)
console.log(`seeding ${torrent.name} on port ${client.port}`)
torrent.on('wire', (_wire, peer) => console.log(`peer ${peer.host}:${peer.port} connected`))
const timer = setInterval(() => {
  const s = torrent.stats()
  console.log(`uploaded ${s.uploaded} bytes, ${Math.round(s.uploadSpeed / 1024)} KiB/s, ${s.peers} peer(s)`)
}, 2000)

await new Promise((resolve) => ac.signal.addEventListener('abort', resolve, { once: true }))
clearInterval(timer)
await client.close()
console.log('seeder stopped')
