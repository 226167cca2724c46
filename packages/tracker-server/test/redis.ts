// Starts a throwaway redis-server on a free port for a test file.
import { type Child, freePort, spawnChild, waitFor } from '@p2p/test-utils'
import { Redis } from 'ioredis'

export interface TestRedis {
  url: string
  child: Child
  stop(): Promise<void>
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort()
  const child = spawnChild('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ])
  const url = `redis://127.0.0.1:${port}`
  await waitFor(
    async () => {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      r.on('error', () => {})
      try {
        await r.connect()
        return (await r.ping()) === 'PONG'
      } catch {
        return false
      } finally {
        r.disconnect()
      }
    },
    10_000,
    `redis-server on ${port}\n${child.output()}`,
  )
  return { url, child, stop: () => child.stop(2000) }
}
