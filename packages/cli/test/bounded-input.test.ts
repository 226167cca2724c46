import { execFileSync } from 'node:child_process'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { Client } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { io, useTempDirs } from './io.js'

const dir = useTempDirs('p2p-cli-bounded-')

/** A FIFO nobody writes to: reading it whole blocks forever. */
async function fifo(): Promise<string> {
  const path = join(await dir(), 'in.torrent')
  execFileSync('mkfifo', [path])
  return path
}

describe('a .torrent input is checked before it is read', () => {
  for (const command of ['info', 'download'] as const) {
    it(`p2p ${command} refuses a FIFO at once (no read that never ends)`, async () => {
      const t = io()
      const extra = command === 'download' ? ['-o', await dir()] : []
      expect(await main([command, await fifo(), ...extra], t.io)).toBe(3)
      expect(t.err()).toMatch(/not a regular file \[METAINFO_NOT_A_FILE\]/)
    })
  }

  it('p2p info refuses a character device and a directory', async () => {
    for (const path of ['/dev/zero', await dir()]) {
      const t = io()
      expect(await main(['info', path], t.io)).toBe(3)
      expect(t.err()).toMatch(/\[METAINFO_NOT_A_FILE\]/)
    }
  })

  it('p2p info refuses a file over 80 MB from its size, before reading it', async () => {
    const path = join(await dir(), 'big.torrent')
    const h = await open(path, 'w')
    await h.truncate(200_000_000) // sparse: no disk used
    await h.close()
    const t = io()
    expect(await main(['info', path], t.io)).toBe(3)
    expect(t.err()).toMatch(/is 200000000 bytes, more than maxSize 80000000 \[METAINFO_TOO_LARGE\]/)
  })

  it('Client.add(path) refuses a FIFO with a coded error', async () => {
    const c = new Client({ host: '127.0.0.1', lsd: false })
    try {
      await expect(c.add(await fifo(), { path: await dir() })).rejects.toMatchObject({
        code: 'SWARM_BAD_TORRENT',
        cause: { code: 'METAINFO_NOT_A_FILE' },
      })
    } finally {
      await c.close()
    }
  })
})
