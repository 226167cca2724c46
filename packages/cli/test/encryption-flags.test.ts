import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { freePort } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs } from './io.js'

const dir = useTempDirs('cli-mse-')

describe('p2p seed / download --encryption', () => {
  it('a seeder with --encryption forced --encryption-level rc4 serves a downloader with --encryption forced', async () => {
    const src = await dir()
    const data = randomBytes(300_000)
    await writeFile(join(src, 'f.bin'), data)
    const port = await freePort()
    const s = io()
    const enc = ['--encryption', 'forced', '--encryption-level', 'rc4', '--host', '127.0.0.1', '--no-lsd']
    const seeding = main(['seed', join(src, 'f.bin'), '--port', String(port), '--v1', ...enc], s.io)
    const magnet = await magnetLine(s.out)
    const out = await dir()
    const d = io()
    expect(await main(['download', magnet, '-o', out, '--peer', `127.0.0.1:${port}`, ...enc], d.io)).toBe(0)
    expect(Buffer.compare(await readFile(join(out, 'f.bin')), data)).toBe(0)
    s.stop()
    expect(await seeding).toBe(130)
  })

  it('an unknown policy or level is a usage error (exit 2)', async () => {
    const a = io()
    const magnet = `magnet:?xt=urn:btih:${'ab'.repeat(20)}`
    expect(await main(['download', magnet, '-o', await dir(), '--encryption', 'always'], a.io)).toBe(2)
    expect(a.err()).toMatch(/--encryption expects forced\|enabled\|disabled/)
    const b = io()
    expect(await main(['seed', await dir(), '--encryption-level', 'aes'], b.io)).toBe(2)
    expect(b.err()).toMatch(/--encryption-level expects rc4\|plaintext\|both/)
  })
})
