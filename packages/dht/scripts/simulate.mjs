#!/usr/bin/env node
// Simulated Mainline DHT of N of our nodes in one process (in-memory transport, virtual clock).
// usage: node packages/dht/scripts/simulate.mjs [--nodes 10000] [--lookups 200] [--churn 0.3] [--seed 1]
// Needs a build (pnpm build). Prints join time, table sizes, hops and queries per lookup, before
// and after the churn.
import { parseArgs } from 'node:util'
import { simulateNetwork } from '../dist/index.js'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    lookups: { type: 'string', default: '200' },
    churn: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
  },
})
const started = Date.now()
const report = await simulateNetwork({
  nodes: Number(values.nodes),
  lookups: Number(values.lookups),
  churn: Number(values.churn),
  seed: Number(values.seed),
})
const round = (name, r) => {
  console.log(`${name}: ${r.lookups} lookups, closest node found in ${(r.foundClosest * 100).toFixed(1)}%`)
  console.log(`  announced peer found by get_peers: ${(r.foundPeers * 100).toFixed(1)}%`)
  console.log(
    `  hops to the closest node: ${r.hops
      .map((n, h) => `${h}:${n}`)
      .filter((_, h) => h > 0)
      .join(' ')}`,
  )
  console.log(`  queries per lookup: median ${r.queries.median}, p95 ${r.queries.p95}, max ${r.queries.max}`)
}
const t = report.tableSize
console.log(`nodes: ${report.nodes}, joined in ${(report.joinMs / 1000).toFixed(1)} s virtual`)
console.log(
  `routing table size: mean ${t.mean.toFixed(1)} (Kademlia estimate k*log2(N/k) = ${t.predicted.toFixed(1)}), min ${t.min}, max ${t.max}`,
)
round('all nodes up', report.before)
round(`after ${report.nodes - report.alive} nodes left at once (${report.alive} alive)`, report.after)
console.log(`datagrams: ${report.datagrams}, wall time ${((Date.now() - started) / 1000).toFixed(1)} s`)
