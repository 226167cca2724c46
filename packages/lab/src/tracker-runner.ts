// The lab's tracker process: our tracker (@p2p/tracker-server, what `p2p tracker` runs) on its own
// emulated host. Every announce becomes a JSON line, so the report's timeline shows discovery.
import { createTrackerServer } from '@p2p/tracker-server'
import { emit, peerMain } from './peer-main.js'
import type { TrackerConfig } from './peer-process.js'

peerMain<TrackerConfig>(async (config) => {
  const server = createTrackerServer({
    host: config.host,
    http: config.protocol === 'http',
    udp: config.protocol === 'udp',
    httpPort: config.port,
    udpPort: config.port,
    interval: config.interval,
    minInterval: Math.min(config.interval, 5),
    // Every loopback-mode peer announces from 127.0.0.1: a per-IP limit would throttle the lab itself.
    rateLimit: false,
  })
  const { httpUrl, udpUrl } = await server.listen()
  server.on('announce', (a) =>
    emit({
      type: 'announce',
      host: a.host,
      port: a.port,
      event: a.event,
      left: Number(a.left),
      peers: a.peers,
    }),
  )
  emit({ type: 'ready', url: config.protocol === 'http' ? httpUrl : udpUrl })
  return {
    connect() {},
    async stop() {
      await server.close()
    },
  }
})
