import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type BencodeDict,
  type BencodeList,
  decode,
  decodePrefix,
  encode,
  rawBytes,
  rawEntries,
  rawSpan,
  toText,
} from '@p2p/bencode'
import { describe, expect, it } from 'vitest'
import { FIXTURES_DIR, VENDORED_DIR } from './fixtures.js'
import { b, s } from './helpers.js'

const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex')
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

describe('raw spans', () => {
  const input = b('d4:infod6:lengthi5e4:name5:a.txte4:listl1:xi-1eee')

  it('gives the exact bytes of every container and byte string, as views into the input', () => {
    const root = decode(input, { spans: true }) as BencodeDict
    expect(s(rawBytes(root)!)).toBe(s(input))
    expect(s(rawBytes(root.info)!)).toBe('d6:lengthi5e4:name5:a.txte')
    expect(s(rawBytes(root.list)!)).toBe('l1:xi-1ee')
    expect(s(rawBytes((root.info as BencodeDict).name)!)).toBe('5:a.txt')
    expect(s(rawBytes((root.list as BencodeList)[0])!)).toBe('1:x')
    expect(rawSpan(root.info)).toEqual({ source: input, start: 7, end: 33 })
    expect(rawBytes(root.info)!.buffer).toBe(input.buffer)
  })

  it('is undefined for integers, foreign values and values decoded without spans', () => {
    const root = decode(input, { spans: true }) as BencodeDict
    expect(rawBytes((root.info as BencodeDict).length)).toBeUndefined()
    expect(rawBytes(undefined)).toBeUndefined()
    expect(rawBytes({})).toBeUndefined()
    expect(rawSpan(null)).toBeUndefined()
    const plain = decode(input) as BencodeDict
    expect(rawBytes(plain.info)).toBeUndefined()
    expect(rawEntries(plain)).toBeUndefined()
  })

  it('differs from re-encoding when the input is not canonical (lenient mode)', () => {
    const wild = b('d4:infod4:name1:x6:lengthi1eee')
    const root = decode(wild, { spans: true, strict: false }) as BencodeDict
    expect(s(rawBytes(root.info)!)).toBe('d4:name1:x6:lengthi1ee')
    expect(s(encode(root.info as BencodeDict))).toBe('d6:lengthi1e4:name1:xe')
  })

  it('with spanDepth, records spans and entries only down to that depth', () => {
    const root = decode(input, { spans: true, spanDepth: 1 }) as BencodeDict
    const info = root.info as BencodeDict
    expect(s(rawBytes(root)!)).toBe(s(input))
    expect(s(rawBytes(info)!)).toBe('d6:lengthi5e4:name5:a.txte')
    expect(rawEntries(root)?.map(([k]) => s(k))).toEqual(['info', 'list'])
    expect(rawEntries(info)?.map(([k]) => s(k))).toEqual(['length', 'name'])
    expect(rawBytes(info.name)).toBeUndefined()
    expect(rawBytes((root.list as BencodeList)[0])).toBeUndefined()
    const top = decode(input, { spans: true, spanDepth: 0 }) as BencodeDict
    expect(rawEntries(top)).toHaveLength(2)
    expect(rawBytes(top.info)).toBeUndefined()
    expect(rawEntries(top.info)).toBeUndefined()
    expect(s(rawBytes(decode(b('3:abc'), { spans: true, spanDepth: 0 }))!)).toBe('3:abc')
  })

  it('works with decodePrefix and with inputs that are views at an offset', () => {
    const framed = new Uint8Array([9, 9, ...b('d1:ad1:bi1eeeTAIL')])
    const view = framed.subarray(2)
    const { value, length } = decodePrefix(view, { spans: true })
    expect(length).toBe(13)
    const inner = (value as BencodeDict).a
    expect(rawSpan(inner)).toMatchObject({ start: 4, end: 12 })
    expect(s(rawBytes(inner)!)).toBe('d1:bi1ee')
  })
})

describe('rawEntries', () => {
  it('lists every key with its raw bytes, in input order, binary keys included', () => {
    const k1 = new Uint8Array(32).fill(0xff)
    const k2 = new Uint8Array(32).fill(0xfe)
    const input = encode(
      new Map<string | Uint8Array, string>([
        [k1, 'one'],
        [k2, 'two'],
        ['name', 'n'],
      ]),
    )
    const dict = decode(input, { spans: true }) as BencodeDict
    // As text the two binary keys read alike (U+FFFD runs): the object keeps one of them...
    expect(Object.keys(dict)).toHaveLength(2)
    // ...the entries keep both, byte for byte.
    const entries = rawEntries(dict)!
    expect(entries.map(([k]) => s(k))).toEqual(['name', s(k2), s(k1)])
    expect(entries.map(([, v]) => toText(v))).toEqual(['n', 'two', 'one'])
  })

  it('keeps duplicate keys of lenient input, and is empty for an empty dictionary', () => {
    const dict = decode(b('d1:ai1e1:ai2ee'), { spans: true, strict: false }) as BencodeDict
    expect(rawEntries(dict)!.map(([k, v]) => [s(k), v])).toEqual([
      ['a', 1],
      ['a', 2],
    ])
    expect(rawEntries(decode(b('de'), { spans: true }))).toEqual([])
    expect(rawEntries(decode(b('le'), { spans: true }))).toBeUndefined()
  })

  it('gives the container values themselves (same objects as the dictionary view)', () => {
    const dict = decode(b('d1:ad1:bi1ee1:cli2eee'), { spans: true }) as BencodeDict
    const entries = rawEntries(dict)!
    expect(entries[0]![1]).toBe(dict.a)
    expect(entries[1]![1]).toBe(dict.c)
  })
})

interface Expectation {
  valid: boolean
  error: string | null
  v1: string | null
  v2: string | null
}

/** Hashes of the raw info dict as the expectations give them (v2 = SHA-256 only for v2/hybrid). */
function checkInfoHashes(file: string, bytes: Uint8Array, v1: string | null, v2: string | null): void {
  const { value } = decodePrefix(bytes, { spans: true, strict: false })
  const info = rawBytes((value as BencodeDict).info)
  expect(info, file).toBeDefined()
  if (v1) expect(sha1(info!), file).toBe(v1)
  if (v2) expect(sha256(info!), file).toBe(v2)
}

describe('fixtures: info hashes from the raw info span', () => {
  const vendored = JSON.parse(readFileSync(join(VENDORED_DIR, 'hashes.json'), 'utf8')) as Record<
    string,
    Expectation
  >

  it('matches libtorrent and the reference tools on the vendored torrents', () => {
    let checked = 0
    for (const [file, e] of Object.entries(vendored)) {
      if (!e.v1 && !e.v2) continue
      checkInfoHashes(file, readFileSync(join(VENDORED_DIR, file)), e.v1, e.v2)
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(8)
  })

  it('reads the BEP 52 piece layers with their 32-byte roots through rawEntries', () => {
    const torrent = decode(readFileSync(join(VENDORED_DIR, 'v2_multipiece_file.torrent')), {
      spans: true,
    }) as BencodeDict
    const layers = rawEntries(torrent['piece layers'])!
    expect(layers.length).toBeGreaterThan(0)
    const roots = new Set<string>()
    const walk = (tree: BencodeDict) => {
      for (const [name, node] of Object.entries(tree)) {
        if (name === '')
          roots.add(Buffer.from((node as BencodeDict)['pieces root'] as Uint8Array).toString('hex'))
        else walk(node as BencodeDict)
      }
    }
    walk((torrent.info as BencodeDict)['file tree'] as BencodeDict)
    for (const [root, layer] of layers) {
      expect(root.length).toBe(32)
      expect(roots.has(Buffer.from(root).toString('hex'))).toBe(true)
      expect((layer as Uint8Array).length % 32).toBe(0)
    }
  })

  it('matches MANIFEST.json for every libtorrent test torrent that has hashes', () => {
    const dir = join(FIXTURES_DIR, 'libtorrent-test-torrents')
    const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as Record<
      string,
      { expect?: { v1: string | null; v2: string | null } }
    >
    let checked = 0
    for (const [file, entry] of Object.entries(manifest)) {
      if (!entry.expect || (!entry.expect.v1 && !entry.expect.v2)) continue
      checkInfoHashes(file, readFileSync(join(dir, file)), entry.expect.v1, entry.expect.v2)
      checked++
    }
    expect(checked).toBeGreaterThanOrEqual(60)
  })

  it('matches index.json for every reference torrent (lt, mktorrent, transmission)', () => {
    const dir = join(FIXTURES_DIR, 'reference-torrents')
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      cases: Record<
        string,
        { torrents: Record<string, { file: string | null; v1: string | null; v2: string | null }> }
      >
    }
    let checked = 0
    for (const c of Object.values(index.cases)) {
      for (const t of Object.values(c.torrents)) {
        if (!t.file) continue
        const bytes = readFileSync(join(dir, t.file))
        checkInfoHashes(t.file, bytes, t.v1, t.v2)
        // Tool output is canonical bencode: strict decoding accepts it and re-encoding reproduces it
        // (except `piece layers`, whose binary keys the object view reads as lossy UTF-8).
        const torrent = decode(bytes) as BencodeDict
        if (!('piece layers' in torrent)) expect(s(encode(torrent)), t.file).toBe(s(bytes))
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(60)
  })
})
