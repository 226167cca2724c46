// Downloads a torrent or magnet link over the public API of @p2p/swarm, logging every piece check
// (the integrity log) and exiting 0 once every file is complete and verified.
//   pnpm --filter @p2p/example-leecher start <magnet|file.torrent> [-o dir] [--peer host:port]...
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Client } from '@p2p/swarm'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', short: 'o', default: '.' }, peer: { type: 'string', multiple: true } },
})
const input = positionals[0]
if (!input) {
  console.error('usage: main.mjs <magnet|file.torrent> [-o dir] [--peer host:port]...')
  process.exit(2)
}
const ac = new AbortController()
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => ac.abort())

const peers = (values.peer ?? []).map((p) => {
  const i = p.lastIndexOf(':')
  return { host: p.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(p.slice(i + 1)) }
})
const client = new Client({ signal: ac.signal })
const torrent = await client.add(input.startsWith('magnet:') ? input : await readFile(input), {
  path: values.out,
  peers,
  signal: ac.signal,
})
torrent.on('metadata', (m) => console.log(`metadata: ${m.name}, ${m.length} bytes in ${m.pieceCount} pieces`))
torrent.on('piece', (e) => console.log(`piece ${e.index} ${e.algorithm} ${e.ok ? 'ok' : 'FAILED'}`))
torrent.on('ban', (e) => console.log(`banned ${e.peer.host}:${e.peer.port}: ${e.reason}`))

const stopped = new Promise((resolve) => ac.signal.addEventListener('abort', resolve, { once: true }))
await Promise.race([torrent.done, stopped])
const ok = torrent.stats().progress === 1
console.log(ok ? `done: ${torrent.name} complete and verified` : 'stopped (resume data kept)')
await client.close()
process.exit(ok ? 0 : 1)
