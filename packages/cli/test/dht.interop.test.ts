import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { main } from '@p2p/cli'
import {
  COMPONENTS,
  DEBIAN_PYTHON,
  freeTcpUdpPort,
  requireComponents,
  spawnChild,
  stopAll,
  waitFor,
} from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { io, useTempDirs, withoutPeers } from './io.js'

const SEED = fileURLToPath(new URL('./fixtures/lt_dht_seed.py', import.meta.url))
const dir = useTempDirs('p2p-cli-dht-')

afterAll(stopAll)

describe('p2p dht and trackerless downloads', () => {
  it('p2p dht serves /stats; trackerless magnets download both ways: libtorrent seed -> p2p download, p2p seed -> libtorrent', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const node = io()
    const dhtRun = main(['dht', '--host', '127.0.0.1'], node.io)
    const line = await waitFor(() => /dht: listening on (\S+)/.exec(node.out()), 30_000, 'p2p dht to listen')
    const boot = line[1]!
    const stats = await (await fetch(`http://${boot}/stats`)).json()
    expect(stats).toMatchObject({ nodes: { v4: 0 } })

    const seedDir = await dir()
    const data = randomBytes(3 * 64 * 1024 + 1234)
    const file = join(seedDir, 'payload.bin')
    await writeFile(file, data)
    const ltPort = await freeTcpUdpPort()
    const seed = spawnChild(DEBIAN_PYTHON, [
      SEED,
      '--ip',
      '127.0.0.2',
      '--port',
      String(ltPort),
      '--bootstrap',
      boot,
      '--file',
      file,
    ])
    const magnet = (
      await waitFor(() => /magnet (\S+)/.exec(seed.output()), 20_000, 'the libtorrent seed')
    )[1]!
    expect(magnet).not.toContain('tr=')

    const out = await dir()
    const dl = io()
    const code = await Promise.race([
      main(
        ['download', magnet, '-o', out, '--host', '127.0.0.3', '--no-lsd', '--dht-bootstrap', boot],
        dl.io,
      ),
      new Promise((r) => setTimeout(() => r(`timeout: ${dl.err().slice(-2000)}`), 45_000)),
    ])
    dl.stop()
    expect(code).toBe(0)
    expect(Buffer.from(await readFile(join(out, 'payload.bin'))).equals(data)).toBe(true)
    const after = (await (await fetch(`http://${boot}/stats`)).json()) as {
      nodes: { v4: number }
      infoHashes: number
    }
    expect(after.nodes.v4).toBeGreaterThanOrEqual(2)
    expect(after.infoHashes).toBeGreaterThanOrEqual(1)
    await seed.stop()

    // The reverse: our client seeds with no tracker, libtorrent downloads the magnet through the DHT.
    const ours = io()
    const ourSeed = main(['seed', file, '--host', '127.0.0.4', '--no-lsd', '--dht-bootstrap', boot], ours.io)
    // without its x.pe= peer: libtorrent must find our seed through the DHT
    const ourMagnet = withoutPeers(
      (await waitFor(() => /^(magnet:\S+)$/m.exec(ours.out()), 20_000, 'p2p seed magnet'))[1]!,
    )
    expect(ourMagnet).not.toMatch(/tr=|x\.pe=/)
    const ltOut = await dir()
    const ltLeech = spawnChild(DEBIAN_PYTHON, [
      SEED,
      ...[
        '--ip',
        '127.0.0.5',
        '--port',
        String(ltPort),
        '--bootstrap',
        boot,
        '--magnet',
        ourMagnet,
        '--out',
        ltOut,
      ],
    ])
    await waitFor(() => ltLeech.output().includes('finished'), 40_000, 'libtorrent to download').catch(
      (e) => {
        throw new Error(`${(e as Error).message}\nlibtorrent: ${ltLeech.output().slice(-1000)}`)
      },
    )
    expect(Buffer.from(await readFile(join(ltOut, 'payload.bin'))).equals(data)).toBe(true)
    await ltLeech.stop()
    ours.stop()
    expect(await ourSeed).toBe(130)
    node.stop()
    expect(await dhtRun).toBe(130)
  })

  it('a bad --dht-bootstrap is a usage error', async () => {
    const t = io()
    const code = await main(
      ['download', `magnet:?xt=urn:btih:${'ab'.repeat(20)}`, '--dht-bootstrap', 'nope'],
      t.io,
    )
    expect(code).toBe(2)
    expect(t.err()).toContain('--dht-bootstrap expects host:port')
  })
})
