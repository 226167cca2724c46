import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useSession } from './helpers.js'

const { dir, client } = useSession('swarm-outdir-')
const MAGNET = `magnet:?xt=urn:btih:${'cd'.repeat(20)}`

describe('the download directory is checked when the torrent is added', () => {
  it('Client.add refuses a path that is a file, at once', async () => {
    const file = join(await dir(), 'not-a-dir')
    await writeFile(file, 'x')
    await expect(client().add(MAGNET, { path: file })).rejects.toMatchObject({ code: 'SWARM_STORAGE' })
    await expect(client().add(MAGNET, { path: join(file, 'below') })).rejects.toMatchObject({
      code: 'SWARM_STORAGE',
    })
  })

  it('Client.add creates a missing directory', async () => {
    const path = join(await dir(), 'new', 'deeper')
    const t = await client().add(MAGNET, { path })
    expect(t.infoHash).toBe('cd'.repeat(20))
    expect((await stat(path)).isDirectory()).toBe(true)
    expect(await readdir(path)).toEqual([]) // the probe file is gone
  })
})
