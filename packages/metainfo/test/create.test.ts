import { createHash } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  blockRoot,
  createTorrent,
  type FileInput,
  HashPool,
  type Metainfo,
  MetainfoError,
  parseTorrent,
  pieceSpec,
} from '@p2p/metainfo'
import { tempDir } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const FILES: FileInput[] = [
  { path: 'a.bin', length: 1000, bytes: bytes(1000, 1) },
  { path: 'dir/b.bin', length: 70_001, bytes: bytes(70_001, 2) },
  { path: 'dir/empty', length: 0, bytes: new Uint8Array() },
  { path: ['dir', 'sub', 'c.bin'], length: 40_000, bytes: bytes(40_000, 3) },
]

/** The bytes of piece `i` read back from the inputs through pieceSpec's ranges (pads are zeros). */
function pieceBytes(meta: Metainfo, i: number, content: Map<string, Uint8Array>): Uint8Array {
  const spec = pieceSpec(meta, i)
  const out = new Uint8Array(spec.length)
  let o = 0
  for (const r of spec.ranges) {
    const f = meta.files[r.file]!
    if (!f.pad) out.set(content.get(f.path.slice(1).join('/'))!.subarray(r.offset, r.offset + r.length), o)
    o += r.length
  }
  expect(o).toBe(spec.length)
  return out
}

describe('createTorrent', () => {
  for (const version of [1, 2, 'hybrid'] as const) {
    it(`v${version}: every piece verifies through pieceSpec (sha1 and/or sha256)`, async () => {
      const { torrent, metainfo } = await createTorrent(FILES, {
        name: 'set',
        version,
        pieceLength: 16384,
        creationDate: false,
        threads: 2,
      })
      const again = parseTorrent(torrent)
      expect(again.infoHash).toBe(metainfo.infoHash)
      expect(metainfo.version).toBe(version)
      expect(metainfo.length).toBe(111_001)
      expect(metainfo.files.filter((f) => !f.pad).map((f) => f.path.join('/'))).toEqual([
        'set/a.bin',
        'set/dir/b.bin',
        'set/dir/empty',
        'set/dir/sub/c.bin',
      ])
      const content = new Map(
        FILES.map((f) => [typeof f.path === 'string' ? f.path : f.path.join('/'), f.bytes!]),
      )
      for (let i = 0; i < metainfo.pieceCount; i++) {
        const spec = pieceSpec(metainfo, i)
        const data = pieceBytes(metainfo, i, content)
        if (version !== 2)
          expect(createHash('sha1').update(data).digest().equals(Buffer.from(spec.sha1!))).toBe(true)
        if (version !== 1) {
          expect(spec.sha256).toBeDefined()
          const root = blockRoot(data.subarray(0, spec.sha256!.length), spec.sha256!.leafCount)
          expect(Buffer.from(root).equals(Buffer.from(spec.sha256!.root))).toBe(true)
        } else expect(spec.sha256).toBeUndefined()
      }
    })
  }

  it('streams, bytes and files give the same torrent', async () => {
    const dir = await tempDir('metainfo-create-')
    try {
      for (const f of FILES) {
        const p = join(dir.path, 'set', typeof f.path === 'string' ? f.path : f.path.join('/'))
        await mkdir(join(p, '..'), { recursive: true })
        await writeFile(p, f.bytes!)
      }
      const opts = { pieceLength: 32768, creationDate: false as const, threads: 1 }
      const fromFs = await createTorrent(join(dir.path, 'set'), opts)
      const fromBytes = await createTorrent(FILES, { ...opts, name: 'set' })
      const streamed = FILES.map((f) => ({
        path: f.path,
        length: f.length,
        async *stream() {
          for (let o = 0; o < f.length; o += 777) yield f.bytes!.slice(o, o + 777)
        },
      }))
      const fromStream = await createTorrent(streamed, { ...opts, name: 'set' })
      // small content is hashed on this thread; an explicit pool hashes it on workers
      const pool = new HashPool({ threads: 2 })
      for (const version of [1, 2, 'hybrid'] as const) {
        const inline = await createTorrent(join(dir.path, 'set'), { ...opts, version })
        const onWorkers = await createTorrent(join(dir.path, 'set'), { ...opts, version, pool })
        expect(Buffer.from(onWorkers.torrent).equals(Buffer.from(inline.torrent))).toBe(true)
      }
      await pool.close()
      expect(fromBytes.metainfo.infoHashV2).toBe(fromFs.metainfo.infoHashV2)
      expect(fromStream.metainfo.infoHashV2).toBe(fromFs.metainfo.infoHashV2)
      expect(Buffer.from(fromStream.torrent).equals(Buffer.from(fromFs.torrent))).toBe(true)
      // the executable bit becomes attr x, as libtorrent does
      await chmod(join(dir.path, 'set', 'a.bin'), 0o755)
      const exec = await createTorrent(join(dir.path, 'set'), opts)
      expect(exec.metainfo.files[0]!.attr).toBe('x')
      await expect(createTorrent(join(dir.path, 'set'), { ...opts, maxFiles: 2 })).rejects.toMatchObject({
        code: 'METAINFO_INVALID_INPUT',
      })
    } finally {
      await dir.remove()
    }
  })

  it('v2 and hybrid: two files with the same content share one piece layers entry', async () => {
    const same = bytes(40_000, 7)
    for (const version of [2, 'hybrid'] as const) {
      const { torrent, metainfo } = await createTorrent(
        [
          { path: 'a.bin', length: same.length, bytes: same },
          { path: 'b.bin', length: same.length, bytes: same },
        ],
        { name: 'twins', version, pieceLength: 16384, creationDate: false },
      )
      const [a, b] = metainfo.files.filter((f) => !f.pad)
      expect(a!.piecesRoot).toEqual(b!.piecesRoot)
      expect(metainfo.pieceLayers.size).toBe(1)
      expect(parseTorrent(torrent).pieceLayers).toEqual(metainfo.pieceLayers)
    }
  })

  it('writes BEP 47 symlinks and attributes in v1 and v2', async () => {
    for (const version of [1, 2, 'hybrid'] as const) {
      const { metainfo } = await createTorrent(
        [
          { path: 'bin/tool', length: 20_000, bytes: bytes(20_000, 4), attr: 'x' },
          { path: 'link', length: 0, symlinkPath: ['bin', 'tool'] },
        ],
        { name: 'pkg', version, pieceLength: 16384 },
      )
      const real = metainfo.files.filter((f) => !f.pad)
      expect(real.map((f) => [f.path.join('/'), f.attr, f.symlinkPath])).toEqual([
        ['pkg/bin/tool', 'x', undefined],
        ['pkg/link', 'l', ['bin', 'tool']],
      ])
    }
  })

  it('writes trackers, web seeds, private, comment, source and dates', async () => {
    const { metainfo } = await createTorrent(new Uint8Array(5000).fill(1), {
      name: 'one.bin',
      announce: [['http://a/announce', 'http://b/announce'], ['udp://c:1']],
      urlList: ['http://seed/one.bin'],
      private: true,
      comment: 'hello',
      createdBy: 'me',
      creationDate: 1_700_000_000,
      source: 'SRC',
      version: 1,
    })
    expect(metainfo).toMatchObject({
      name: 'one.bin',
      announce: [['http://a/announce', 'http://b/announce'], ['udp://c:1']],
      urlList: ['http://seed/one.bin'],
      private: true,
      comment: 'hello',
      createdBy: 'me',
      creationDate: 1_700_000_000,
      source: 'SRC',
      pieceLength: 16384,
    })
    const plain = await createTorrent(new Uint8Array(5000).fill(1), {
      name: 'one.bin',
      version: 1,
      creationDate: false,
    })
    expect(plain.metainfo.infoHash).not.toBe(metainfo.infoHash)
    expect(plain.metainfo.creationDate).toBeUndefined()
  })

  it('reports progress up to the total and honours AbortSignal', async () => {
    const big: FileInput[] = [{ path: 'big', length: 8 << 20, bytes: bytes(8 << 20, 9) }]
    const seen: number[] = []
    await createTorrent(big, { onProgress: (done, total) => seen.push(done / total), threads: 2 })
    expect(seen.at(-1)).toBe(1)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    const ac = new AbortController()
    const p = createTorrent(big, {
      signal: ac.signal,
      pieceLength: 16384,
      onProgress: () => ac.abort(),
      threads: 1,
      maxBufferedBytes: 1 << 20,
    })
    await expect(p).rejects.toMatchObject({ code: 'METAINFO_ABORTED' })
    const pre = new AbortController()
    pre.abort()
    await expect(createTorrent(big, { signal: pre.signal })).rejects.toMatchObject({
      code: 'METAINFO_ABORTED',
    })
  })

  it('files on disk: progress up to the total, abort, and the same hashes as from memory', async () => {
    const dir = await tempDir('metainfo-plan-')
    try {
      const data = bytes(40 << 20, 11)
      const path = join(dir.path, 'big.bin')
      await writeFile(path, data)
      const seen: number[] = []
      const opts = { version: 1 as const, pieceLength: 65536, creationDate: false as const, threads: 2 }
      const fromFs = await createTorrent(path, { ...opts, onProgress: (done) => seen.push(done) })
      expect(seen.at(-1)).toBe(40 << 20)
      expect(seen).toEqual([...seen].sort((a, b) => a - b))
      const fromBytes = await createTorrent(data, { ...opts, name: 'big.bin' })
      expect(fromFs.metainfo.infoHash).toBe(fromBytes.metainfo.infoHash)
      // pieces larger than one read block (1 MiB) and a short last piece, checked against node:crypto
      const bigPieces = await createTorrent(data.subarray(0, (5 << 20) + 7), {
        ...opts,
        name: 'big.bin',
        version: 'hybrid',
        pieceLength: 1 << 20,
      })
      for (const i of [0, 5]) {
        const spec = pieceSpec(bigPieces.metainfo, i)
        const piece = data.subarray(spec.offset, spec.offset + spec.length)
        expect(createHash('sha1').update(piece).digest().equals(Buffer.from(spec.sha1!))).toBe(true)
        const root = blockRoot(piece.subarray(0, spec.sha256!.length), spec.sha256!.leafCount)
        expect(Buffer.from(root).equals(Buffer.from(spec.sha256!.root))).toBe(true)
      }
      const ac = new AbortController()
      await expect(
        createTorrent(path, { ...opts, signal: ac.signal, onProgress: () => ac.abort() }),
      ).rejects.toMatchObject({ code: 'METAINFO_ABORTED' })
      // a file shorter than planned (it shrank after listing) or gone is an I/O error from the worker
      const pool = new HashPool({ threads: 2 })
      for (const [file, length] of [
        [path, (40 << 20) + 1],
        [join(dir.path, 'gone'), 10],
      ] as const) {
        const plan = {
          paths: [file],
          chunks: new Float64Array([0, 1, 0, -1, 0]),
          segments: new Float64Array([0, 0, length]),
          pieceLength: 64 << 20,
          padTo: 0,
          sha1Out: new Uint8Array(new SharedArrayBuffer(20)),
        }
        await expect(pool.hashPlan(plan)).rejects.toMatchObject({ code: 'METAINFO_IO' })
      }
      await pool.close()
    } finally {
      await dir.remove()
    }
  })

  it.each([
    [[], 'METAINFO_INVALID_INPUT'],
    [[{ path: 'a', length: 0, bytes: new Uint8Array() }], 'METAINFO_INVALID_INPUT'],
    [[{ path: '../a', length: 1, bytes: new Uint8Array(1) }], 'METAINFO_INVALID_INPUT'],
    [[{ path: ['a', '..'], length: 1, bytes: new Uint8Array(1) }], 'METAINFO_INVALID_INPUT'],
    [
      [
        { path: 'a', length: 1, bytes: new Uint8Array(1) },
        { path: 'a/b', length: 1, bytes: new Uint8Array(1) },
      ],
      'METAINFO_INVALID_INPUT',
    ],
    [[{ path: 'a', length: 2, bytes: new Uint8Array(1) }], 'METAINFO_INVALID_INPUT'],
    [[{ path: 'a', length: 5 }], 'METAINFO_INVALID_INPUT'],
  ])('rejects bad input %#', async (input, code) => {
    await expect(createTorrent(input as FileInput[], { name: 'x' })).rejects.toMatchObject({ code })
  })

  it('rejects bad options and a stream that ends early', async () => {
    const one = [{ path: 'a', length: 100, bytes: new Uint8Array(100) }]
    await expect(createTorrent(one, { pieceLength: 1000 })).rejects.toMatchObject({
      code: 'METAINFO_INVALID_OPTION',
    })
    await expect(createTorrent(one, { version: 3 as 1 })).rejects.toMatchObject({
      code: 'METAINFO_INVALID_OPTION',
    })
    await expect(createTorrent(one, { threads: 0 })).rejects.toMatchObject({
      code: 'METAINFO_INVALID_OPTION',
    })
    const short = [
      {
        path: 'a',
        length: 100,
        async *stream() {
          yield new Uint8Array(10)
        },
      },
    ]
    await expect(createTorrent(short)).rejects.toMatchObject({ code: 'METAINFO_IO' })
    await expect(createTorrent('/nonexistent/metainfo')).rejects.toBeInstanceOf(MetainfoError)
  })
})

describe('HashPool', () => {
  const pool = new HashPool({ threads: 2 })
  afterAll(() => pool.close())
  it('digests like node:crypto and roots like blockRoot', async () => {
    const data = bytes(100_000, 5)
    expect(
      Buffer.from(await pool.digest('sha1', data)).equals(createHash('sha1').update(data).digest()),
    ).toBe(true)
    expect(
      Buffer.from(await pool.digest('sha256', data.subarray(5, 500))).equals(
        createHash('sha256').update(data.subarray(5, 500)).digest(),
      ),
    ).toBe(true)
    expect(Buffer.from(await pool.pieceRootSha256(data, 8)).equals(Buffer.from(blockRoot(data, 8)))).toBe(
      true,
    )
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.digest('sha1', data.subarray(i))),
    )
    for (const [i, d] of many.entries()) {
      expect(Buffer.from(d).equals(createHash('sha1').update(data.subarray(i)).digest())).toBe(true)
    }
    // transfer moves the buffer
    const moved = bytes(1000, 6)
    const expected = createHash('sha1').update(moved).digest()
    expect(Buffer.from(await pool.digest('sha1', moved, { transfer: true })).equals(expected)).toBe(true)
    expect(moved.byteLength).toBe(0)
  })
  it('rejects bad arguments and work after close', async () => {
    await expect(pool.pieceRootSha256(new Uint8Array(10), 3)).rejects.toMatchObject({
      code: 'METAINFO_INVALID_OPTION',
    })
    expect(() => new HashPool({ threads: 0 })).toThrow(MetainfoError)
    const p2 = new HashPool({ threads: 1 })
    const pending = expect(p2.digest('sha256', new Uint8Array(1 << 20))).rejects.toMatchObject({
      code: 'METAINFO_POOL_CLOSED',
    })
    await p2.close()
    await pending
    await expect(p2.digest('sha1', new Uint8Array(1))).rejects.toMatchObject({ code: 'METAINFO_POOL_CLOSED' })
  })
})
