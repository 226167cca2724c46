// Same content + same options => the same info hashes as libtorrent (v1, v2, hybrid) and mktorrent,
// and with compat 'transmission-3' as transmission-create 3.00.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type CreateOptions, createTorrent, HashPool, parseTorrent } from '@p2p/metainfo'
import { tempDir } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { writeCase } from './content.js'
import { REFERENCE } from './fixtures.js'

interface CaseJson {
  case: string
  seed: string
  kind: 'single' | 'multi'
  files: { path: string; size: number }[]
  torrents: Record<
    string,
    { file: string | null; ok: boolean; v1: string | null; v2: string | null; piece_length?: number }
  >
}

const cases: CaseJson[] = readdirSync(REFERENCE, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => JSON.parse(readFileSync(join(REFERENCE, d.name, 'case.json'), 'utf8')) as CaseJson)

const VERSION = { lt_v1: 1, mktorrent: 1, lt_v2: 2, lt_hybrid: 'hybrid' } as const

describe('reference torrents are reproduced', async () => {
  const dir = await tempDir('metainfo-ref-')
  // content this small is hashed on the calling thread; an explicit pool takes the worker path
  const pool = new HashPool({ threads: 2 })
  afterAll(async () => {
    await pool.close()
    await dir.remove()
  })
  /** Writes a case's content and makes its torrent, on this thread and on workers (same bytes). */
  const create = async (c: CaseJson, options: CreateOptions) => {
    const root = join(dir.path, c.case)
    await writeCase(root, c.seed, c.files)
    const input =
      c.kind === 'single' ? join(root, c.files[0]!.path) : join(root, c.files[0]!.path.split('/')[0]!)
    const opts = { ...options, announce: 'http://127.0.0.1:6969/announce', creationDate: false as const }
    const made = await createTorrent(input, opts)
    const onWorkers = await createTorrent(input, { ...opts, pool })
    expect(Buffer.from(onWorkers.torrent).equals(Buffer.from(made.torrent))).toBe(true)
    return made
  }
  for (const c of cases) {
    for (const [key, t] of Object.entries(c.torrents)) {
      const tool = key.split('-')[0]! as keyof typeof VERSION | 'transmission'
      const pieceLength = key.endsWith('16k') ? 16384 : 262144
      if (!t.ok) {
        if (c.files.every((f) => f.size === 0)) {
          it(`${c.case} ${key}: empty content is refused`, async () => {
            await expect(
              createTorrent([{ path: 'empty.bin', length: 0, bytes: new Uint8Array() }]),
            ).rejects.toMatchObject({
              code: 'METAINFO_INVALID_INPUT',
            })
          })
        }
        continue
      }
      if (c.files.every((f) => f.size === 0)) {
        it(`${c.case} ${key}: we refuse empty content, and reject ${tool}'s torrent like libtorrent`, async () => {
          await expect(createTorrent(new Uint8Array(0), { name: 'empty.bin' })).rejects.toMatchObject({
            code: 'METAINFO_INVALID_INPUT',
          })
          expect(() => parseTorrent(readFileSync(join(REFERENCE, t.file!)))).toThrow(
            expect.objectContaining({ code: 'METAINFO_INVALID_LENGTH' }),
          )
        })
        continue
      }
      if (tool === 'transmission') {
        it(`${c.case} ${key}: compat 'transmission-3' gives transmission-create's info dict`, async () => {
          const { metainfo } = await create(c, { compat: 'transmission-3', pieceLength })
          const ref = parseTorrent(readFileSync(join(REFERENCE, t.file!)))
          expect(ref.infoHash).toBe(t.v1)
          expect(metainfo.infoHash).toBe(t.v1)
          expect(Buffer.from(metainfo.info).equals(Buffer.from(ref.info))).toBe(true)
        })
        continue
      }
      it(`${c.case} ${key}: same info hashes`, async () => {
        const { torrent, metainfo } = await create(c, { version: VERSION[tool], pieceLength })
        expect(metainfo.infoHash ?? null).toBe(t.v1)
        expect(metainfo.infoHashV2 ?? null).toBe(t.v2)
        const ref = parseTorrent(readFileSync(join(REFERENCE, t.file!)))
        expect(Buffer.from(metainfo.info).equals(Buffer.from(ref.info))).toBe(true)
        expect([...metainfo.pieceLayers.keys()].sort()).toEqual([...ref.pieceLayers.keys()].sort())
        for (const [k, v] of ref.pieceLayers)
          expect(Buffer.from(metainfo.pieceLayers.get(k)!).equals(Buffer.from(v))).toBe(true)
        expect(torrent.length).toBeGreaterThan(0)
      })
    }
  }
})
