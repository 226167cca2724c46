import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareTrees, formatIntegrity, hashTree, sha256File } from '../src/integrity.js'
import { useTempDirs } from './io.js'

const dir = useTempDirs('cli-integrity-')

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(root, p, '..'), { recursive: true })
    await writeFile(join(root, p), text)
  }
}

describe('integrity', () => {
  it('hashes a file like sha256sum', async () => {
    const d = await dir()
    await writeFile(join(d, 'a'), 'abc')
    expect(await sha256File(join(d, 'a'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect([...(await hashTree(join(d, 'a')))]).toEqual([
      ['', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ])
  })

  it('finds missing and differing files, ignores extra ones', async () => {
    const orig = await dir()
    const good = await dir()
    const bad = await dir()
    const files = { 'x/a.txt': 'one', 'x/sub/b.txt': 'two' }
    await tree(orig, files)
    await tree(good, { ...files, 'x/.resume': 'extra' })
    await tree(bad, { 'x/a.txt': 'ONE' })
    const o = await hashTree(orig)
    expect([...o.keys()]).toEqual(['x/a.txt', 'x/sub/b.txt'])
    const r1 = compareTrees('leecher-1', o, await hashTree(good))
    const r2 = compareTrees('leecher-2', o, await hashTree(bad))
    expect(r1).toEqual({ label: 'leecher-1', ok: true, files: 2, bad: [] })
    expect(r2).toEqual({ label: 'leecher-2', ok: false, files: 2, bad: ['x/a.txt', 'x/sub/b.txt'] })
    const text = formatIntegrity([r1, r2])
    expect(text).toContain('leecher-1  OK    2/2 files match')
    expect(text).toContain('leecher-2  FAIL  0/2 files match (bad: x/a.txt, x/sub/b.txt)')
    expect(text.endsWith('integrity: MISMATCH')).toBe(true)
    expect(formatIntegrity([r1]).endsWith('every copy matches the original (SHA-256)')).toBe(true)
    expect(formatIntegrity([])).toContain('MISMATCH')
  })
})
