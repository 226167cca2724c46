// Real clients announce to our tracker over HTTP and UDP; two real clients find each other through it.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS, requireComponents, stopAll, tempDir, waitFor } from '@p2p/test-utils'
import { type AnnounceInfo, createTrackerServer, type TrackerServer } from '@p2p/tracker-server'
import { afterEach, describe, expect, it } from 'vitest'
import { type ClientName, layout, makeTorrent, startClient } from './real-clients.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await stopAll()
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function tracker(): Promise<{
  server: TrackerServer
  httpUrl: string
  udpUrl: string
  seen: AnnounceInfo[]
}> {
  const server = createTrackerServer({ rateLimit: false, interval: 60, minInterval: 5 })
  const { httpUrl, udpUrl } = await server.listen()
  const seen: AnnounceInfo[] = []
  server.on('announce', (a) => seen.push(a))
  cleanups.push(() => server.close())
  return { server, httpUrl: httpUrl!, udpUrl: `${udpUrl!}/announce`, seen }
}

async function dir(): Promise<string> {
  const d = await tempDir('p2p-tracker-interop-')
  cleanups.push(d.remove)
  return d.path
}

const components = {
  aria2: COMPONENTS.aria2,
  transmission: COMPONENTS.transmissionCli,
  libtorrent: COMPONENTS.libtorrent,
} as const

describe.each(['aria2', 'transmission', 'libtorrent'] as const)(
  '%s announces to our tracker',
  (client: ClientName) => {
    it.for(['http', 'udp'] as const)('over %s', async (protocol, ctx) => {
      requireComponents(ctx, components[client])
      const t = await tracker()
      const torrent = makeTorrent(protocol === 'http' ? t.httpUrl : t.udpUrl)
      const d = await dir()
      const path = await layout(d, torrent, false)
      const { child, port } = await startClient(client, path, d, protocol)
      // Transmission 3.00 opens with a `stopped` (it stops the torrent to check the files), then `started`.
      const started = await waitFor(
        () => t.seen.find((a) => a.infoHash === torrent.infoHash && a.port === port && a.event === 'started'),
        30_000,
        `${client} to announce over ${protocol}\n${child.output()}`,
      )
      expect(started).toMatchObject({ protocol, event: 'started', host: '127.0.0.1', seeder: false })
      expect(await t.server.stats()).toMatchObject({ torrents: 1, leechers: 1 })
      const scrape = await t.server.store.scrape([torrent.infoHash])
      expect(scrape[0]).toMatchObject({ incomplete: 1 })
      await child.stop(5000)
    })
  },
)

describe('two real clients find each other through our tracker', () => {
  it.for(['http', 'udp'] as const)('libtorrent seeds, aria2 downloads (%s)', async (protocol, ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent, COMPONENTS.aria2)
    const t = await tracker()
    const torrent = makeTorrent(protocol === 'http' ? t.httpUrl : t.udpUrl, 1024 * 1024)
    const seedDir = await dir()
    const leechDir = await dir()
    const seeder = await startClient('libtorrent', await layout(seedDir, torrent, true), seedDir, protocol)
    await waitFor(
      () => t.seen.find((a) => a.port === seeder.port && a.seeder),
      30_000,
      `libtorrent to announce as a seeder\n${seeder.child.output()}`,
    )
    const leecher = await startClient('aria2', await layout(leechDir, torrent, false), leechDir, protocol)
    const exited = new Promise<number | null>((resolve) =>
      leecher.child.proc.once('exit', (code) => resolve(code)),
    )
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('timeout'), 90_000)),
    ])
    expect(code, leecher.child.output()).toBe(0)
    const got = await readFile(join(leechDir, torrent.name))
    expect(got.equals(torrent.content)).toBe(true)
    const announces = t.seen.filter((a) => a.port === leecher.port)
    expect(announces[0]).toMatchObject({ event: 'started', seeder: false })
    // aria2 with --seed-time=0 leaves with `stopped` and left=0 (no `completed`).
    expect(announces.at(-1)).toMatchObject({ event: 'stopped', seeder: true })
  })
})
