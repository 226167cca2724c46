// Entry point of a cluster worker process (started by runCluster through node:cluster).
import { WORKER_CONFIG_ENV, type WorkerConfig, type WorkerMessage } from './cluster.js'
import type { LogEntry } from './logger.js'
import { MemoryStore } from './memory-store.js'
import type { PeerStore } from './peer-store.js'
import { RedisStore } from './redis-store.js'
import { ShardLinks } from './shard-link.js'
import { DEFAULT_SHARD_TIMEOUT_MS, ShardedStore } from './sharded-store.js'
import { createTrackerServer } from './tracker-server.js'

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as WorkerConfig | null
if (!config || !process.send) {
  process.stderr.write('cluster-worker: start it through runCluster\n')
  process.exit(2)
}
const send = (m: WorkerMessage) => process.send!(m)
const { options, index, count } = config
const { workers: _w, redisUrl, redisPrefix, memory, startTimeout: _s, ...serverOptions } = options

let links: ShardLinks | undefined
let store: PeerStore
if (redisUrl) {
  store = new RedisStore({
    url: redisUrl,
    ...(redisPrefix ? { prefix: redisPrefix } : {}),
    ...(memory?.peerTimeout ? { peerTimeout: memory.peerTimeout } : {}),
  })
} else {
  // Swarms of other workers' info hashes are asked of their owner over a direct link.
  const sharded: ShardedStore = new ShardedStore(new MemoryStore(memory), index, count, (to, call) =>
    links!.call(to, call),
  )
  links = new ShardLinks(config.linkDir, index, (call) => sharded.serve(call), DEFAULT_SHARD_TIMEOUT_MS)
  store = sharded
}

const server = createTrackerServer({
  ...serverOptions,
  store,
  closeStore: true,
  connectionSecret: Buffer.from(config.secret, 'hex'),
  logger: (entry: LogEntry) => send({ t: 'log', entry }),
})

// The server first: requests still finishing may need another worker's swarms.
const stop = () => server.close().finally(() => links?.close())
process.on('message', (msg: WorkerMessage) => {
  if (msg.t === 'stats') {
    // Stats need every worker; one that just died fails them, which must not take this one down too.
    server.stats().then(
      (stats) => send({ t: 'stats-reply', id: msg.id, stats }),
      (err) => {
        send({ t: 'log', entry: { level: 'warn', msg: 'cluster stats failed', err: String(err) } })
        send({ t: 'stats-reply', id: msg.id, stats: undefined })
      },
    )
  } else if (msg.t === 'close') {
    void stop().then(() => process.exit(0))
  }
})
// A worker keeps its swarms: a stray rejection is logged, never fatal.
process.on('unhandledRejection', (err) =>
  send({
    t: 'log',
    entry: { level: 'error', msg: 'unhandled rejection in cluster worker', err: String(err) },
  }),
)
process.on('disconnect', () => void stop().then(() => process.exit(0)))
// Ctrl-C reaches the whole process group: the primary coordinates the shutdown (and restarts workers that
// die on their own), so the workers leave signals to it and stop on its 'close' message or when it goes away.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => {})

// The link socket first: another worker may forward a call as soon as this one takes requests.
Promise.resolve(links?.listen())
  .then(() => server.listen())
  .then(
    (info) => send({ t: 'listening', info }),
    (err) => {
      send({ t: 'failed', message: (err as Error).message })
      process.exit(1)
    },
  )
