// Cluster mode: several worker processes on one port pair, over the memory store (each info hash owned by
// one worker) or over Redis.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generatePeerId } from '@p2p/peer-address'
import { COMPONENTS, requireComponents, spawnChild, stopAll, waitFor } from '@p2p/test-utils'
import { announce, UdpTransport } from '@p2p/tracker-client'
import { shardOf } from '@p2p/tracker-server'
import { afterAll, describe, expect, it } from 'vitest'
import { scrapeFiles } from './helpers.js'
import { startRedis, type TestRedis } from './redis.js'

const transport = new UdpTransport()
let redis: TestRedis | undefined
afterAll(async () => {
  transport.close()
  await stopAll()
  await redis?.stop()
})

async function startCluster(options: object) {
  const script = fileURLToPath(new URL('./fixtures/cluster.mjs', import.meta.url))
  const child = spawnChild(process.execPath, [
    script,
    JSON.stringify({ workers: 2, rateLimit: false, ...options }),
  ])
  const info = await waitFor(
    () => {
      const line = child
        .output()
        .split('\n')
        .find((l) => l.startsWith('{'))
      return line ? (JSON.parse(line) as { httpUrl: string; udpUrl: string; workers: number }) : undefined
    },
    20_000,
    'the cluster to listen',
  )
  return { child, ...info }
}

describe.for(['memory', 'redis'] as const)('cluster of 2 workers over %s', (mode) => {
  it('answers every torrent with one swarm view over HTTP and UDP', async (ctx) => {
    if (mode === 'redis') {
      requireComponents(ctx, COMPONENTS.redis)
      redis ??= await startRedis()
    }
    const c = await startCluster(mode === 'redis' ? { redisUrl: redis!.url } : {})
    expect(c.workers).toBe(2)
    const opts = { udpTransport: transport, timeout: 5000 }
    const hashes = Array.from({ length: 16 }, () => randomBytes(20))
    for (const [i, infoHash] of hashes.entries()) {
      await announce(
        c.httpUrl,
        { infoHash, peerId: generatePeerId(), port: 1000 + i, left: 0, event: 'started' },
        opts,
      )
      const second = await announce(
        c.udpUrl,
        { infoHash, peerId: generatePeerId(), port: 2000 + i, left: 5 },
        opts,
      )
      expect(second.peers).toEqual([{ host: '127.0.0.1', port: 1000 + i }])
      expect(second).toMatchObject({ complete: 1, incomplete: 1 })
    }
    const stats = await (await fetch(c.httpUrl.replace('/announce', '/stats'))).json()
    expect(stats).toMatchObject({ torrents: 16, seeders: 16, leechers: 16 })
    // A full scrape gathers every worker's torrents.
    const full = await fetch(c.httpUrl.replace('/announce', '/scrape'))
    const files = scrapeFiles(new Uint8Array(await full.arrayBuffer()))
    expect([...files.keys()].sort()).toEqual(hashes.map((h) => h.toString('hex')).sort())
    for (const v of files.values()) expect(v).toEqual({ complete: 1, downloaded: 0, incomplete: 1 })
    if (mode === 'memory') {
      // A worker dies: the primary starts another in its place, the survivor keeps running and its links
      // reach the new worker; swarms owned by the new one start empty, the survivor's are intact.
      const workers = childPids(c.child.proc.pid!)
      expect(workers).toHaveLength(2)
      process.kill(workers[1]!, 'SIGKILL')
      await waitFor(
        () => {
          const now = childPids(c.child.proc.pid!)
          return now.length === 2 && !now.includes(workers[1]!) ? now : undefined
        },
        20_000,
        'the worker to be replaced',
      )
      const intact = new Map<number, boolean[]>([
        [0, []],
        [1, []],
      ])
      for (const [i, infoHash] of hashes.entries()) {
        const r = await announce(
          c.udpUrl,
          { infoHash, peerId: generatePeerId(), port: 3000 + i, left: 5 },
          { ...opts, timeout: 8000 },
        )
        intact.get(shardOf(infoHash.toString('hex'), 2))!.push(r.complete === 1 && r.peers.length === 2)
      }
      // One shard kept every swarm, the other (the new worker's) lost them all.
      const kept = [...intact.values()].map((v) =>
        v.every(Boolean) ? 'kept' : v.some(Boolean) ? 'mixed' : 'lost',
      )
      expect(kept.sort()).toEqual(['kept', 'lost'])
      expect(childPids(c.child.proc.pid!)).toContain(workers[0])
    }
    await c.child.stop(8000)
    expect(c.child.proc.exitCode).toBe(0)
  })
})

/** Pids of the live processes whose parent is `pid` (the cluster's workers). */
function childPids(pid: number): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')
      if (Number(f[1]) === pid && f[0] !== 'Z') out.push(Number(d))
    } catch {}
  }
  return out.sort((x, y) => x - y)
}
