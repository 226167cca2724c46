import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { freePort } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs } from './io.js'

const dir = useTempDirs('cli-transports-')

describe('p2p seed / download --transports', () => {
  it('transfers over uTP only', async () => {
    const src = await dir()
    const data = randomBytes(500_000)
    await writeFile(join(src, 'u.bin'), data)
    const port = await freePort()
    const s = io()
    const seeding = main(
      [
        'seed',
        join(src, 'u.bin'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--no-lsd',
        '--v1',
        '--transports',
        'utp',
      ],
      s.io,
    )
    const magnet = await magnetLine(s.out)
    const out = await dir()
    const d = io()
    const code = await main(
      [
        'download',
        magnet,
        '-o',
        out,
        '--peer',
        `127.0.0.1:${port}`,
        '--host',
        '127.0.0.1',
        '--no-lsd',
        '--transports',
        'utp',
      ],
      d.io,
    )
    expect(code).toBe(0)
    expect(Buffer.compare(await readFile(join(out, 'u.bin')), data)).toBe(0)
    s.stop()
    expect(await seeding).toBe(130)
  })

  it('rejects an unknown transport with a usage error', async () => {
    const a = io()
    expect(
      await main(['download', `magnet:?xt=urn:btih:${'0'.repeat(40)}`, '--transports', 'quic'], a.io),
    ).toBe(2)
    expect(a.err()).toMatch(/--transports expects utp, tcp/)
  })
})
