// Many-files benchmark of @p2p/swarm (issue 21, finding 10): a v1 torrent of BENCH_FILES files (default
// 100,000) of a few hundred bytes each. Prints the time and RSS growth of parsing it (parseTorrent) and
// of adding it for download (client.add until `ready`: storage set up, empty data checked, files
// created), the .torrent's size, and the ratio against libtorrent's load (torrent_info) when Debian's
// python3-libtorrent is there. Target (issue 21): memory a small multiple of the torrent's size.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encode } from '@p2p/bencode'
import { parseTorrent } from '@p2p/metainfo'
import { Client } from '@p2p/swarm'

const FILES = Number(process.env.BENCH_FILES ?? 100_000)
const PIECE = 16384
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`

/** A v1 torrent of FILES files of 100..1099 bytes in 1,000 directories (piece hashes of zeros). */
function manyFiles() {
  const files = []
  let total = 0
  for (let i = 0; i < FILES; i++) {
    const length = 100 + ((i * 7919) % 1000)
    files.push({ length, path: [`d${i % 1000}`, `file-${i}.txt`] })
    total += length
  }
  const pieces = Buffer.alloc(Math.ceil(total / PIECE) * 20)
  return encode({ info: { files, name: 'many', 'piece length': PIECE, pieces } })
}

function measure(label, rssBefore, t0) {
  const ms = performance.now() - t0
  const rss = process.memoryUsage().rss - rssBefore
  const x = (rss / bytes.length).toFixed(1)
  console.log(`${label.padEnd(28)} ${ms.toFixed(0).padStart(6)} ms  RSS +${mib(rss)} (${x}x the .torrent)`)
  return ms
}

const bytes = manyFiles()
const dir = await mkdtemp(join(tmpdir(), 'p2p-many-files-'))
const torrentPath = join(dir, 'many.torrent')
await writeFile(torrentPath, bytes)
console.log(
  `${FILES} files, .torrent ${mib(bytes.length)}, sha1 ${createHash('sha1').update(bytes).digest('hex').slice(0, 8)}`,
)
globalThis.gc?.()
let rss0 = process.memoryUsage().rss
let t0 = performance.now()
const meta = parseTorrent(bytes)
const parseMs = measure('parseTorrent', rss0, t0)
globalThis.gc?.()
rss0 = process.memoryUsage().rss
t0 = performance.now()
const client = new Client({ host: '127.0.0.1', hashThreads: 1 })
await client.add(meta, { path: join(dir, 'out'), resume: false })
const addMs = measure('client.add (ready)', rss0, t0)
await client.close()
console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`)

let lt
try {
  const py = `import libtorrent as lt, time, sys\nt=time.time()\nlt.torrent_info(sys.argv[1])\nprint((time.time()-t)*1000)`
  lt = Number(execFileSync('/usr/bin/python3', ['-c', py, torrentPath], { encoding: 'utf8' }).trim())
  console.log(`libtorrent torrent_info        ${lt.toFixed(0).padStart(6)} ms`)
  console.log(
    `ratio parse ours/libtorrent: ${(parseMs / lt).toFixed(1)}x; add ours/libtorrent load: ${(addMs / lt).toFixed(1)}x`,
  )
} catch {
  console.log('python3-libtorrent not available: no reference figure')
}
await rm(dir, { recursive: true, force: true })
