import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { BencodeError, encode } from '@p2p/bencode'
import { MetainfoError, parseTorrent, resolveFilePath, sanitizeElement } from '@p2p/metainfo'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LT_TORRENTS } from './fixtures.js'

const ROOT = resolve('/srv/downloads')
const PIECES = new Uint8Array(20)

/** An element generator biased to what attacks paths. */
const hostileElement = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '',
    '/',
    '\\',
    '../..',
    '..\\..',
    '/etc/passwd',
    'C:\\Windows',
    'C:',
    'con',
    'nul.txt',
    'a\0b',
    '\u202eexe.avi',
    '..\u200f',
    '.\u202e.',
    '\x01\x1f',
    ' ',
    '...',
    '. .',
    '%2e%2e',
    '\uff0e\uff0e',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.string({ minLength: 230, maxLength: 300 }),
)
const elementBytes = hostileElement.map((s) => Buffer.from(s, 'latin1'))

function assertContained(paths: string[][]): void {
  for (const p of paths) {
    for (const c of p) {
      expect(c === '' || c === '.' || c === '..' || /[/\\\0]/.test(c)).toBe(false)
    }
    const full = resolveFilePath(ROOT, p)
    expect(full.startsWith(ROOT + sep)).toBe(true)
  }
}

function tryParse(bytes: Uint8Array) {
  try {
    return parseTorrent(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(MetainfoError)
    return undefined
  }
}

describe('hostile paths never leave the download directory', () => {
  it('v1 multi-file torrents with random hostile path lists', () => {
    fc.assert(
      fc.property(
        elementBytes,
        fc.array(fc.array(elementBytes, { maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        (name, paths) => {
          const files = paths.map((path) => ({ length: 1, path }))
          const pieces = new Uint8Array(Math.ceil(files.length / 16384) * 20)
          const m = tryParse(encode({ info: { files, name, 'piece length': 16384, pieces } }))
          if (m) {
            assertContained(m.files.map((f) => f.path))
            const seen = new Set(m.files.map((f) => f.path.join('/').toLowerCase()))
            expect(seen.size).toBe(m.files.length) // duplicates were renamed
          }
        },
      ),
      { numRuns: 400 },
    )
  })
  it('v1 single-file and v2 file trees with hostile names', () => {
    fc.assert(
      fc.property(
        elementBytes,
        fc.array(fc.tuple(elementBytes, elementBytes), { minLength: 1, maxLength: 6 }),
        (name, entries) => {
          const single = tryParse(
            encode({ info: { length: 10, name, 'piece length': 16384, pieces: PIECES } }),
          )
          if (single) assertContained(single.files.map((f) => f.path))
          const tree = new Map<Uint8Array, unknown>()
          const seen = new Set<string>()
          for (const [dir, leaf] of entries) {
            const key = Buffer.from(dir).toString('hex')
            if (seen.has(key)) continue
            seen.add(key)
            const root = new Uint8Array(32).fill(7)
            tree.set(dir, new Map([[leaf, new Map([['', { length: 100, 'pieces root': root }]])]]))
          }
          const v2 = tryParse(
            encode({ info: { 'file tree': tree as never, 'meta version': 2, name, 'piece length': 16384 } }),
          )
          if (v2) assertContained(v2.files.map((f) => f.path))
        },
      ),
      { numRuns: 300 },
    )
  })
  it('symlink targets are sanitised too', () => {
    const m = parseTorrent(
      encode({
        info: {
          files: [
            { length: 5, path: ['a'] },
            { attr: 'l', length: 0, path: ['link'], 'symlink path': ['..', '..', 'etc', 'passwd'] },
          ],
          name: 't',
          'piece length': 16384,
          pieces: PIECES,
        },
      }),
    )
    expect(m.files[1]!.symlinkPath).toEqual(['etc', 'passwd'])
  })
  it('known attacks become libtorrent-style safe names', () => {
    expect(sanitizeElement('..')).toBe('')
    expect(sanitizeElement('/etc/passwd')).toBe('etcpasswd')
    expect(sanitizeElement('a\u202eb')).toBe('ab')
    expect(sanitizeElement('\x01x')).toBe('_x')
    expect(sanitizeElement(`${'x'.repeat(300)}.mkv`)).toBe(`${'x'.repeat(240)}.mkv`)
  })
})

describe('resolveFilePath', () => {
  it.each([[[]], [['..']], [['a', '..', '..']], [['.']], [['']], [['a/b']], [['a\\b']], [['a\0']]])(
    'rejects %j',
    (p) => {
      expect(() => resolveFilePath(ROOT, p)).toThrow(
        expect.objectContaining({ code: 'METAINFO_PATH_TRAVERSAL' }),
      )
    },
  )
  it('joins safe paths under the root', () => {
    expect(resolveFilePath(ROOT, ['t', 'a b', '...'])).toBe(join(ROOT, 't', 'a b', '...'))
  })
})

describe('hostile torrents are coded errors, never crashes', () => {
  const cases: [string, Uint8Array, string][] = [
    ['not bencode', Buffer.from('hello'), 'METAINFO_INVALID_BENCODING'],
    ['a list', encode([1, 2]), 'METAINFO_NOT_A_DICT'],
    [
      'huge length',
      encode({ info: { length: 2n ** 62n, name: 'a', 'piece length': 16384, pieces: PIECES } }),
      'METAINFO_INVALID_LENGTH',
    ],
    [
      'negative piece length',
      encode({ info: { length: 1, name: 'a', 'piece length': -1, pieces: PIECES } }),
      'METAINFO_INVALID_PIECE_LENGTH',
    ],
    [
      'too many pieces',
      encode({ info: { length: 2 ** 40, name: 'a', 'piece length': 16384, pieces: PIECES } }),
      'METAINFO_TOO_MANY_PIECES',
    ],
    [
      'file tree without meta version',
      encode({ info: { 'file tree': {}, length: 1, name: 'a', 'piece length': 16384, pieces: PIECES } }),
      'METAINFO_MISSING_META_VERSION',
    ],
    [
      'meta version 3',
      encode({ info: { 'meta version': 3, name: 'a', 'piece length': 16384 } }),
      'METAINFO_UNKNOWN_VERSION',
    ],
    [
      'v2 without tree',
      encode({ info: { 'meta version': 2, name: 'a', 'piece length': 16384 } }),
      'METAINFO_MISSING_FILE_TREE',
    ],
    ['deep nesting', Buffer.from(`d4:info${'l'.repeat(200)}${'e'.repeat(200)}e`), 'METAINFO_DEPTH_EXCEEDED'],
  ]
  it.each(cases)('%s', (_, bytes, code) => {
    expect(() => parseTorrent(bytes)).toThrow(expect.objectContaining({ code }))
  })
  it('walks a deep file tree with bulky siblings in one pass', () => {
    // 90 nested directories, each beside a 200 KB junk key: a per-level rescan would cost ~90x
    let node: Map<string, unknown> = new Map([
      ['f', new Map([['', { length: 5, 'pieces root': new Uint8Array(32).fill(1) }]])],
    ])
    for (let d = 0; d < 90; d++) {
      node = new Map<string, unknown>([
        ['d', node],
        [
          'junk',
          new Map([['', { length: 1, 'pieces root': new Uint8Array(32).fill(2), x: 'y'.repeat(200_000) }]]),
        ],
      ])
    }
    const bytes = encode({
      info: { 'file tree': node as never, 'meta version': 2, name: 'deep', 'piece length': 16384 },
    })
    const m = parseTorrent(bytes, { maxSize: 100_000_000 })
    expect(m.files.filter((f) => !f.pad)).toHaveLength(91)
  })
  it('bounds the input size', () => {
    expect(() => parseTorrent(new Uint8Array(1000), { maxSize: 999 })).toThrow(
      expect.objectContaining({ code: 'METAINFO_TOO_LARGE' }),
    )
  })
  it('mutated fixture bytes only ever give MetainfoError', () => {
    const files = readdirSync(LT_TORRENTS).filter((f) => f.endsWith('.torrent'))
    const fixtures = files
      .map((f) => new Uint8Array(readFileSync(join(LT_TORRENTS, f))))
      .filter((b) => b.length < 200_000)
    fc.assert(
      fc.property(
        fc.nat(fixtures.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'cut', 'insert', 'digit')), {
          minLength: 1,
          maxLength: 4,
        }),
        (which, edits) => {
          let b = fixtures[which]!.slice()
          for (const [at, value, kind] of edits) {
            const i = at % Math.max(1, b.length)
            if (kind === 'flip') b[i] = value
            else if (kind === 'digit') b[i] = 0x30 + (value % 10)
            else if (kind === 'cut') b = b.slice(0, i)
            else b = Uint8Array.from([...b.subarray(0, i), value, ...b.subarray(i)])
          }
          try {
            parseTorrent(b)
          } catch (err) {
            if (!(err instanceof MetainfoError)) throw err
            if (err.code === 'METAINFO_INVALID_BENCODING') expect(err.cause).toBeInstanceOf(BencodeError)
          }
        },
      ),
      { numRuns: 1500 },
    )
  })
})
