#!/usr/bin/env node
// A live DHT on real UDP sockets: N of our nodes on 127.0.0.x plus M python3-libtorrent nodes, all
// joined through our first node. One of our nodes announces an info hash; every node then looks it
// up. Prints, for ours and for libtorrent's lookups, how many found the peer, median and p95 lookup
// time, and (ours) queries per lookup.
// usage: node packages/dht/scripts/live-run.mjs [--ours 200] [--libtorrent 10] [--port 36881]
// Needs a build (pnpm build) and python3-libtorrent. Uses only 127.0.0.0/8.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createDhtNode } from '../dist/index.js'

const { values } = parseArgs({
  options: {
    ours: { type: 'string', default: '200' },
    libtorrent: { type: 'string', default: '10' },
    port: { type: 'string', default: '36881' },
  },
})
const ours = Number(values.ours)
const ltCount = Number(values.libtorrent)
const port = Number(values.port)
const host = (i) => `127.0.${Math.floor(i / 250)}.${(i % 250) + 2}`
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN

const nodes = []
for (let i = 0; i < ours; i++) {
  nodes.push(await createDhtNode({ host: host(i), port, bootstrap: i ? [{ host: host(0), port }] : [] }))
}
const ltIps = Array.from({ length: ltCount }, (_, i) => host(ours + i))
const script = fileURLToPath(new URL('../test/fixtures/lt_dht.py', import.meta.url))
const lt = ltCount
  ? spawn(
      '/usr/bin/python3',
      [script, '--ips', ltIps.join(','), '--port', String(port), '--bootstrap', `${host(0)}:${port}`],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    )
  : undefined
const answers = new Map()
let buffered = ''
lt?.stdout.on('data', (b) => {
  buffered += b
  for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
    const msg = JSON.parse(buffered.slice(0, nl))
    buffered = buffered.slice(nl + 1)
    if (typeof msg.id === 'number') answers.get(msg.id)?.(msg)
  }
})
let nextId = 1
const call = (node, op, args) =>
  new Promise((resolve) => {
    const id = nextId++
    answers.set(id, resolve)
    lt.stdin.write(`${JSON.stringify({ id, node, op, ...args })}\n`)
  })

const t0 = Date.now()
for (let i = 1; i < nodes.length; i += 20) await Promise.all(nodes.slice(i, i + 20).map((n) => n.start()))
console.log(`${ours} of our nodes joined in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
await new Promise((r) => setTimeout(r, 5000)) // libtorrent bootstraps
const infoHash = randomBytes(20)
const announcer = nodes[Math.floor(nodes.length / 2)]
await announcer.announce(infoHash, 40000)
const target = `${announcer.addresses()[0].host}:40000`

const times = []
const queries = []
let found = 0
for (let i = 0; i < nodes.length; i += 20) {
  await Promise.all(
    nodes.slice(i, i + 20).map(async (n) => {
      const start = Date.now()
      const { peers, stats } = await n.getPeers(infoHash)
      times.push(Date.now() - start)
      queries.push(stats.queries)
      if (peers.some((p) => `${p.host}:${p.port}` === target)) found++
    }),
  )
}
console.log(
  `ours: ${found}/${nodes.length} found the peer; lookup ms median ${pct(times, 0.5)} p95 ${pct(times, 0.95)}; queries median ${pct(queries, 0.5)} p95 ${pct(queries, 0.95)}`,
)
if (lt) {
  const ltTimes = []
  let ltFound = 0
  await Promise.all(
    ltIps.map(async (_, i) => {
      const start = Date.now()
      const { peers } = await call(i, 'get_peers', { infoHash: infoHash.toString('hex') })
      ltTimes.push(Date.now() - start)
      if (peers.includes(target)) ltFound++
    }),
  )
  console.log(
    `libtorrent: ${ltFound}/${ltIps.length} found the peer; lookup ms median ${pct(ltTimes, 0.5)} p95 ${pct(ltTimes, 0.95)} (queries per lookup are not exposed by its API)`,
  )
  lt.kill()
}
await Promise.all(nodes.map((n) => n.close()))
