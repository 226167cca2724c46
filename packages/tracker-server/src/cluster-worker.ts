// Entry point of a cluster worker process (started by runCluster through node:cluster).
import { WORKER_CONFIG_ENV, type WorkerConfig, type WorkerMessage } from './cluster.js'
import { TrackerServerError } from './errors.js'
import type { LogEntry } from './logger.js'
import { MemoryStore } from './memory-store.js'
import type { PeerStore } from './peer-store.js'
import { RedisStore } from './redis-store.js'
import { DEFAULT_SHARD_TIMEOUT_MS, type ShardCall, ShardedStore } from './sharded-store.js'
import { createTrackerServer } from './tracker-server.js'

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as WorkerConfig | null
if (!config || !process.send) {
  process.stderr.write('cluster-worker: start it through runCluster\n')
  process.exit(2)
}
const send = (m: WorkerMessage) => process.send!(m)
const { options, index, count } = config
const { workers: _w, redisUrl, redisPrefix, memory, startTimeout: _s, ...serverOptions } = options

const calls = new Map<
  number,
  { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }
>()
let nextId = 1
let sharded: ShardedStore | undefined
let store: PeerStore
if (redisUrl) {
  store = new RedisStore({
    url: redisUrl,
    ...(redisPrefix ? { prefix: redisPrefix } : {}),
    ...(memory?.peerTimeout ? { peerTimeout: memory.peerTimeout } : {}),
  })
} else {
  sharded = new ShardedStore(new MemoryStore(memory), index, count, (to, call: ShardCall) => {
    const id = nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        calls.delete(id)
        reject(new TrackerServerError('TRACKER_SERVER_STORE', `cluster worker ${to} did not answer`))
      }, DEFAULT_SHARD_TIMEOUT_MS)
      calls.set(id, { resolve, reject, timer })
      send({ t: 'rpc', id, to, call })
    })
  })
  store = sharded
}

const server = createTrackerServer({
  ...serverOptions,
  store,
  closeStore: true,
  connectionSecret: Buffer.from(config.secret, 'hex'),
  logger: (entry: LogEntry) => send({ t: 'log', entry }),
})

process.on('message', async (msg: WorkerMessage) => {
  if (msg.t === 'rpc' && sharded) {
    let reply: WorkerMessage
    try {
      reply = { t: 'rpc-reply', id: msg.id, to: msg.from!, result: await sharded.serve(msg.call) }
    } catch (err) {
      const code = err instanceof TrackerServerError ? err.code : undefined
      reply = {
        t: 'rpc-reply',
        id: msg.id,
        to: msg.from!,
        error: (err as Error).message,
        ...(code ? { code } : {}),
      }
    }
    send(reply)
  } else if (msg.t === 'rpc-reply') {
    const c = calls.get(msg.id)
    if (!c) return
    calls.delete(msg.id)
    clearTimeout(c.timer)
    // Refusals (a peer id conflict) keep their code; anything else is a store failure.
    if (msg.error !== undefined)
      c.reject(new TrackerServerError(msg.code ?? 'TRACKER_SERVER_STORE', msg.error))
    else c.resolve(msg.result)
  } else if (msg.t === 'stats') {
    send({ t: 'stats-reply', id: msg.id, stats: await server.stats() })
  } else if (msg.t === 'close') {
    await server.close()
    process.exit(0)
  }
})
process.on('disconnect', () => void server.close().then(() => process.exit(0)))
// Ctrl-C reaches the whole process group: the primary coordinates the shutdown (and restarts workers that
// die on their own), so the workers leave signals to it and stop on its 'close' message or when it goes away.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => {})

server.listen().then(
  (info) => send({ t: 'listening', info }),
  (err) => {
    send({ t: 'failed', message: (err as Error).message })
    process.exit(1)
  },
)
