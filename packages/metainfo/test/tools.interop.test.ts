// Live cross-check on freshly generated content: mktorrent, transmission-create and libtorrent
// (Debian's python3-libtorrent) make torrents of the same files; our info hashes must agree, and
// libtorrent must load ours with the same hashes and paths.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
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

  it("transmission-create: compat 'transmission-3' gives the same info dict, byte for byte", async (ctx) => {
    requireComponents(ctx, COMPONENTS.transmissionCreate)
    // names that sort differently in transmission (case folding, signed bytes, whole-path compare),
    // plus what it leaves out: dot-files, dot-directories, empty files; and an executable file
    const root = join(dir.path, 'tr-set')
    for (const [p, size] of [
      ['Zeta.bin', 70_001],
      ['alpha/x.bin', 300_007],
      ['a b-', 1000],
      ['a b.c', 20_000],
      ['a b/y', 12_345],
      ['ünï/d.dat', 5000],
      ['_u', 10],
      ['abé', 3],
      ['ab', 4],
      ['.hidden', 50],
      ['sub/.git/config', 60],
      ['sub/empty', 0],
      ['sub/Tool', 9999],
    ] as const) {
      await mkdir(dirname(join(root, p)), { recursive: true })
      await writeFile(join(root, p), randomBytes(size), { mode: p === 'sub/Tool' ? 0o755 : 0o644 })
    }
    const cases: [string, string[], { pieceLength?: number; private?: boolean }][] = [
      ['tr-set', ['-s', '16'], { pieceLength: 16384 }],
      ['tr-set', ['-p'], { private: true }], // default piece length
      ['single.bin', [], {}],
      ['pack', ['-s', String(PIECE / 1024)], { pieceLength: PIECE }],
    ]
    for (const [input, args, opts] of cases) {
      const out = join(dir.path, `tr-${input}-${args.join('')}.torrent`)
      execFileSync('transmission-create', ['-o', out, '-t', TRACKER, ...args, join(dir.path, input)], {
        stdio: 'ignore',
        timeout: TIMEOUT,
      })
      const theirs = parseTorrent(await readFile(out))
      const { metainfo } = await createTorrent(join(dir.path, input), {
        compat: 'transmission-3',
        announce: TRACKER,
        creationDate: false,
        ...opts,
      })
      expect(metainfo.infoHash).toBe(theirs.infoHash)
      expect(Buffer.from(metainfo.info).equals(Buffer.from(theirs.info))).toBe(true)
      expect(metainfo.private).toBe(opts.private === true)
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

  it('the committed reference torrents are what the three tools make today, byte for byte', (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent, COMPONENTS.mktorrent, COMPONENTS.transmissionCreate)
    const script = fileURLToPath(new URL('../../../scripts/regen-reference-torrents.py', import.meta.url))
    const out = execFileSync(DEBIAN_PYTHON, [script], { encoding: 'utf8', timeout: TIMEOUT })
    expect(out).toContain('reference torrents: checked 73, 0 problem(s)')
  })
})
