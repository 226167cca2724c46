// Live cross-check on freshly generated content: mktorrent, transmission-create and libtorrent
// (Debian's python3-libtorrent) make torrents of the same files; our info hashes must agree, and
// libtorrent must load ours with the same hashes and paths.
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { type BencodeDict, decode, encode } from '@p2p/bencode'
import { createTorrent, parseTorrent } from '@p2p/metainfo'
import { COMPONENTS, DEBIAN_PYTHON, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const TRACKER = 'http://127.0.0.1:6969/announce'
const PIECE = 262144
const TIMEOUT = 120_000

/** Fresh random content: nested dirs, an empty file, odd sizes, non-ASCII names. */
const FILES: [string, number][] = [
  ['pack/a.txt', 1000 + Math.floor(Math.random() * 5000)],
  ['pack/sub/b.bin', 300_000 + Math.floor(Math.random() * 300_000)],
  ['pack/sub/deeper/c.empty', 0],
  ['pack/ünï/d.dat', 700_001],
  ['pack/z', 12_345],
]

let dir: { path: string; remove: () => Promise<void> }
beforeAll(async () => {
  dir = await tempDir('metainfo-interop-')
  for (const [p, size] of FILES) {
    await mkdir(dirname(join(dir.path, p)), { recursive: true })
    await writeFile(join(dir.path, p), randomBytes(size))
  }
  await writeFile(join(dir.path, 'single.bin'), randomBytes(3 * PIECE + 17))
})
afterAll(() => dir?.remove())

const ours = (input: string, version: 1 | 2 | 'hybrid') =>
  createTorrent(join(dir.path, input), {
    version,
    pieceLength: PIECE,
    announce: TRACKER,
    creationDate: false,
    threads: 2,
  })

describe('interop with torrent creators', () => {
  it('mktorrent: same v1 info hash', async (ctx) => {
    requireComponents(ctx, COMPONENTS.mktorrent)
    for (const input of ['pack', 'single.bin']) {
      const out = join(dir.path, `mk-${input}.torrent`)
      execFileSync('mktorrent', ['-l', '18', '-a', TRACKER, '-o', out, join(dir.path, input)], {
        stdio: 'ignore',
        timeout: TIMEOUT,
      })
      const theirs = parseTorrent(await readFile(out))
      const { metainfo } = await ours(input, 1)
      expect(metainfo.infoHash).toBe(theirs.infoHash)
    }
  })

  it('transmission-create: same v1 hash once its private:0 is removed (it also drops empty files)', async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCreate)
    for (const input of ['pack', 'single.bin']) {
      const out = join(dir.path, `tr-${input}.torrent`)
      execFileSync(
        'transmission-create',
        ['-o', out, '-s', String(PIECE / 1024), '-t', TRACKER, join(dir.path, input)],
        {
          stdio: 'ignore',
          timeout: TIMEOUT,
        },
      )
      const bytes = await readFile(out)
      const theirs = parseTorrent(bytes)
      expect(theirs.private).toBe(false)
      const info = (decode(bytes, { strict: false }) as BencodeDict).info as BencodeDict
      delete info.private
      const withoutPrivate = createHash('sha1').update(encode(info)).digest('hex')
      if (input === 'single.bin') {
        expect(withoutPrivate).toBe((await ours(input, 1)).metainfo.infoHash)
      } else {
        // transmission leaves out the 0-byte file and sorts in its own way: given its order, ours matches
        const order = (info.files as BencodeDict[]).map((f) =>
          (f.path as Uint8Array[]).map((c) => Buffer.from(c).toString()),
        )
        const files = order.map((path) => ({
          path,
          length: FILES.find(([p]) => p === `pack/${path.join('/')}`)![1],
          stream: async function* () {
            yield new Uint8Array(await readFile(join(dir.path, 'pack', ...path)))
          },
        }))
        const { metainfo } = await createTorrent(files, {
          name: 'pack',
          version: 1,
          pieceLength: PIECE,
          creationDate: false,
          order: 'given',
        })
        expect(withoutPrivate).toBe(metainfo.infoHash)
      }
    }
  })

  it('libtorrent: same v1, v2 and hybrid hashes both ways', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const script = `
import json, os, sys, libtorrent as lt
root, piece, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {}
for name in ['pack', 'single.bin']:
    for label, flags in [('v1', lt.create_torrent.v1_only), ('v2', lt.create_torrent.v2_only), ('hybrid', 0)]:
        fs = lt.file_storage()
        path = os.path.join(root, name)
        if os.path.isdir(path):
            entries = []
            for d, _, fns in os.walk(path):
                for f in fns:
                    full = os.path.join(d, f)
                    entries.append((os.path.relpath(full, root).split(os.sep), os.path.getsize(full)))
            for parts, size in sorted(entries, key=lambda e: [p.encode() for p in e[0]]):
                fs.add_file('/'.join(parts), size)
        else:
            fs.add_file(name, os.path.getsize(path))
        ct = lt.create_torrent(fs, piece, flags=flags)
        ct.add_tracker(${JSON.stringify(TRACKER)})
        lt.set_piece_hashes(ct, root)
        data = lt.bencode(ct.generate())
        ti = lt.torrent_info(lt.bdecode(data))
        h = ti.info_hashes()
        res[name + '/' + label] = {'v1': str(h.v1) if h.has_v1() else None, 'v2': str(h.v2) if h.has_v2() else None}
for f in sorted(os.listdir(outdir)):
    ti = lt.torrent_info(os.path.join(outdir, f))
    h = ti.info_hashes()
    fs = ti.files()
    res['ours:' + f] = {'v1': str(h.v1) if h.has_v1() else None, 'v2': str(h.v2) if h.has_v2() else None,
        'paths': [fs.file_path(i) for i in range(fs.num_files())]}
print(json.dumps(res))
`
    const outdir = join(dir.path, 'ours')
    await mkdir(outdir, { recursive: true })
    const expected: Record<string, { v1: string | null; v2: string | null; paths: string[] }> = {}
    for (const input of ['pack', 'single.bin']) {
      for (const version of [1, 2, 'hybrid'] as const) {
        const { torrent, metainfo } = await ours(input, version)
        const key = `${input}-${version}.torrent`
        await writeFile(join(outdir, key), torrent)
        expected[key] = {
          v1: metainfo.infoHash ?? null,
          v2: metainfo.infoHashV2 ?? null,
          paths: metainfo.files.map((f) => f.path.join('/')),
        }
      }
    }
    const res = JSON.parse(
      execFileSync(DEBIAN_PYTHON, ['-c', script, dir.path, String(PIECE), outdir], {
        encoding: 'utf8',
        timeout: TIMEOUT,
      }),
    )
    for (const input of ['pack', 'single.bin']) {
      for (const version of [1, 2, 'hybrid'] as const) {
        const key = `${input}-${version}.torrent`
        const label = version === 'hybrid' ? 'hybrid' : `v${version}`
        expect({ v1: expected[key]!.v1, v2: expected[key]!.v2 }).toEqual(res[`${input}/${label}`])
        expect(res[`ours:${key}`]).toEqual(expected[key])
      }
    }
  })
})
