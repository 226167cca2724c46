import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BencodeValue, decode, encode } from '@p2p/bencode'
import reference from 'bencode'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodable } from './arbitraries.js'
import { FIXTURES_DIR, VENDORED_DIR } from './fixtures.js'

/** A comparable form of either library's output (byte strings as hex, dictionaries as sorted entries). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v)
  if (Array.isArray(v)) return v.map(plain)
  return Object.entries(v as object)
    .map(([k, val]) => [k, plain(val)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('differential: @p2p/bencode against npm bencode@4 on valid inputs', () => {
  it('both encoders write the same bytes for random values (text keys below U+D800, no bigint)', () => {
    fc.assert(
      fc.property(encodable({ bigint: false, keys: 'bmp-low', maps: false }), (v) => {
        expect(hex(encode(v))).toBe(hex(reference.encode(v)))
      }),
      { numRuns: 1000 },
    )
  })

  it('both decoders read the same values from random valid encodings', () => {
    fc.assert(
      fc.property(encodable({ bigint: false, keys: 'bmp-low', maps: false }), (v) => {
        const bytes = encode(v)
        expect(plain(decode(bytes))).toEqual(plain(reference.decode(bytes)))
      }),
      { numRuns: 1000 },
    )
  })

  it('where they differ, we follow BEP 3: keys sorted by bytes, not UTF-16 code units', () => {
    const v = { '\u{1f600}': 1, '\uff5e': 2 }
    expect(hex(encode(v))).not.toBe(hex(reference.encode(v)))
    expect(Object.keys(decode(encode(v)) as object)).toEqual(['\uff5e', '\u{1f600}'])
  })

  it('where they differ, we reject what npm bencode lets through silently', () => {
    // npm bencode writes something (or nothing) for these; we throw.
    for (const v of [1.5, true, null]) expect(() => encode(v as never)).toThrow()
    // npm reads i03e as 3 and ignores trailing bytes; we reject both.
    expect(reference.decode(Buffer.from('i03e'))).toBe(3)
    expect(() => decode(Buffer.from('i03e'))).toThrow()
    expect(reference.decode(Buffer.from('i1ejunk'))).toBe(1)
    expect(() => decode(Buffer.from('i1ejunk'))).toThrow()
  })

  const torrents: [string, string][] = [
    ...readdirSync(VENDORED_DIR)
      .filter((f) => f.endsWith('.torrent'))
      .map((f) => [VENDORED_DIR, f] as [string, string]),
  ]
  const ref = join(FIXTURES_DIR, 'reference-torrents')
  for (const c of readdirSync(ref, { withFileTypes: true })) {
    if (!c.isDirectory()) continue
    for (const f of readdirSync(join(ref, c.name))) {
      if (f.endsWith('.torrent')) torrents.push([join(ref, c.name), f])
    }
  }

  it(`both read the same values from ${torrents.length} real torrents (lenient, text keys)`, () => {
    let compared = 0
    for (const [dir, file] of torrents) {
      const bytes = new Uint8Array(readFileSync(join(dir, file)))
      let ours: BencodeValue
      try {
        ours = decode(bytes, { strict: false })
      } catch {
        continue // trailing bytes or past the depth limit: npm reads those differently by design
      }
      const theirs = reference.decode(bytes) as Record<string, unknown>
      // `piece layers` has binary keys: npm spells them in hex, we keep them in rawEntries.
      const { 'piece layers': _ours, ...oursRest } = ours as Record<string, unknown>
      const { 'piece layers': _theirs, ...theirsRest } = theirs
      expect(plain(oursRest), file).toEqual(plain(theirsRest))
      compared++
    }
    expect(compared).toBeGreaterThanOrEqual(8)
  })
})
