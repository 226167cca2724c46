// The lab's DHT bootstrap node: one @p2p/dht node (what `p2p dht` runs) on its own emulated host,
// the only address the peers of a trackerless run are given.
import { createDhtNode } from '@p2p/dht'
import { LAB_DHT_RATE_LIMIT } from './dht-settings.js'
import { emit, peerMain } from './peer-main.js'
import type { DhtNodeConfig } from './peer-process.js'

peerMain<DhtNodeConfig>(async (config) => {
  const node = await createDhtNode({ host: config.host, port: config.port, rateLimit: LAB_DHT_RATE_LIMIT })
  emit({ type: 'ready', address: `${config.host}:${node.addresses()[0]!.port}` })
  const timer = setInterval(() => {
    const s = node.stats()
    emit({
      type: 'dht-stats',
      nodes: s.nodes.v4 + s.nodes.v6,
      infoHashes: s.infoHashes,
      answered: s.answered,
    })
  }, 1000)
  return {
    connect() {},
    async stop() {
      clearInterval(timer)
      await node.close()
    },
  }
})
