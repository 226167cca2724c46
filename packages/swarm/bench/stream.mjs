// Streaming benchmark of @p2p/swarm (needs the built package): one single-file torrent of
// BENCH_SIZE_MIB (default 1024) MiB, in one process, over 127.0.0.1. Prints, each against its reference
// measured in the same run:
// 1. file.createReadStream of the complete file vs fs.createReadStream of it (target >= 1 GB/s);
// 2. the file fetched from client.createServer() vs from a plain Node static server (http +
//    fs.createReadStream) (target >= 0.8x);
// 3. a sequential read from offset 0 of the file while it downloads from a local seed vs the download
//    itself (target: the read ends within 10 % of the download's time).
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, get } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { createTorrent } from '@p2p/metainfo'
import { Client } from '@p2p/swarm'

const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 2 ** 20
const GB = 1e9

/** The 1-minute load average, printed with every number (a loaded machine reads slower). */
const load = () => `(load ${loadavg()[0].toFixed(1)})`

/** Bytes/s of draining `stream`. */
async function drain(stream) {
  const t0 = performance.now()
  let n = 0
  for await (const c of stream) n += c.length
  if (n !== SIZE) throw new Error(`read ${n} bytes, expected ${SIZE}`)
  return n / ((performance.now() - t0) / 1000)
}

/** Bytes/s of fetching `url` over loopback. */
function fetchRate(url) {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      drain(res).then(resolve, reject)
    }).on('error', reject)
  })
}

async function listen(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return server.address().port
}

const dir = await mkdtemp(join(tmpdir(), 'swarm-stream-bench-'))
const clients = []
try {
  const file = join(dir, 'big.bin')
  const out = createWriteStream(file)
  for (let o = 0; o < SIZE; o += 2 ** 24) out.write(randomBytes(Math.min(2 ** 24, SIZE - o)))
  out.end()
  await finished(out)
  const { torrent } = await createTorrent(file, { version: 1, pieceLength: 2 ** 20 })
  const seeder = new Client({ host: '127.0.0.1' })
  clients.push(seeder)
  const t = await seeder.seed(file, { torrent })
  const [f] = t.files

  // 1. createReadStream of a complete file.
  const fsRate = await drain(createReadStream(file, { highWaterMark: 2 ** 20 }))
  const ours = await drain(f.createReadStream())
  console.log(
    `createReadStream (complete): ${(ours / GB).toFixed(2)} GB/s, fs.createReadStream ${(fsRate / GB).toFixed(2)} GB/s, ratio ${(ours / fsRate).toFixed(2)}x (target >= 1 GB/s) ${load()}`,
  )

  // 2. HTTP: client.createServer vs a plain Node static server.
  const ourServer = seeder.createServer()
  const plain = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': SIZE, 'Content-Type': 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  const ourPort = await listen(ourServer)
  const plainPort = await listen(plain)
  const plainRate = await fetchRate(`http://127.0.0.1:${plainPort}/`)
  const servedRate = await fetchRate(`http://127.0.0.1:${ourPort}/${t.infoHash}/big.bin`)
  console.log(
    `HTTP: client.createServer ${(servedRate / GB).toFixed(2)} GB/s, Node static server ${(plainRate / GB).toFixed(2)} GB/s, ratio ${(servedRate / plainRate).toFixed(2)}x (target >= 0.8x) ${load()}`,
  )
  ourServer.close()
  plain.close()

  // 3. Sequential read while downloading.
  const leecher = new Client({ host: '127.0.0.1' })
  clients.push(leecher)
  const t0 = performance.now()
  const lt = await leecher.add(torrent, {
    path: join(dir, 'out'),
    peers: [{ host: '127.0.0.1', port: seeder.port }],
  })
  const reading = drain(lt.files[0].createReadStream()).then(() => performance.now() - t0)
  await lt.done
  const downloadMs = performance.now() - t0
  const readMs = await reading
  console.log(
    `read while downloading: read ended at ${(readMs / 1000).toFixed(2)} s, download at ${(downloadMs / 1000).toFixed(2)} s, read speed / download speed ${(downloadMs / readMs).toFixed(2)}x (target >= 0.9x) ${load()}`,
  )
} finally {
  for (const c of clients) await c.close()
  await rm(dir, { recursive: true, force: true })
}
