import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs, withoutPeers } from './io.js'

const dir = useTempDirs('p2p-cli-dht6-')

describe('trackerless over IPv6 (BEP 32) on ::1', () => {
  it('p2p dht --host ::1 bootstraps a seed and a download on ::1; the magnet has no tracker', async () => {
    const node = io()
    const dhtRun = main(['dht', '--host', '::1'], node.io)
    const boot = (await waitFor(() => /dht: listening on (\S+)/.exec(node.out()), 30_000, 'p2p dht'))[1]!
    expect(boot).toMatch(/^\[::1\]:\d+$/)

    const src = await dir()
    const data = randomBytes(150_000)
    const file = join(src, 'six.bin')
    await writeFile(file, data)
    const seeder = io()
    const seedRun = main(['seed', file, '--host', '::1', '--no-lsd', '--dht-bootstrap', boot], seeder.io)
    // The seed's magnet names no tracker; its x.pe= peer is dropped so that only the DHT can find it.
    const magnet = withoutPeers(await magnetLine(seeder.out))
    expect(magnet).not.toMatch(/tr=|x\.pe=/)

    const out = await dir()
    const dl = io()
    const code = await Promise.race([
      main(['download', magnet, '-o', out, '--host', '::1', '--no-lsd', '--dht-bootstrap', boot], dl.io),
      new Promise((r) => setTimeout(() => r(`timeout: ${dl.err().slice(-2000)}`), 30_000)),
    ])
    dl.stop()
    expect(code).toBe(0)
    expect(Buffer.from(await readFile(join(out, 'six.bin'))).equals(data)).toBe(true)
    // Both clients joined the bootstrap node's IPv6 table. (Which nodes store the seeder's announce
    // depends on who answered its first lookup in time: the download above is the proof it was found
    // through the DHT.)
    const stats = (await (await fetch(`http://${boot}/stats`)).json()) as {
      nodes: { v4: number; v6: number }
    }
    expect(stats.nodes.v6).toBeGreaterThanOrEqual(2)
    seeder.stop()
    expect(await seedRun).toBe(130)
    node.stop()
    expect(await dhtRun).toBe(130)
  })
})
