import { fail } from './errors.js'
import type { MagnetLink, Metainfo } from './types.js'

/** Options of {@link parseMagnet}. */
export interface MagnetOptions {
  /** Longest accepted URI in characters. Default 65536. */
  maxLength?: number
  /** Most `so` file indices accepted after expanding ranges. Default 100,000. */
  maxSelect?: number
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32ToHex(s: string): string | undefined {
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const ch of s.toLowerCase()) {
    const v = BASE32.indexOf(ch)
    if (v < 0) return undefined
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out).toString('hex')
}

function unescapeValue(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    fail('METAINFO_INVALID_MAGNET', `bad percent-encoding in ${JSON.stringify(value.slice(0, 80))}`)
  }
}

function parsePeer(text: string): { host: string; port: number } | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text)
  if (!m) return undefined
  const port = Number(m[2])
  if (port < 1 || port > 65535) return undefined
  return { host: m[1]!, port }
}

function parseSelect(text: string, max: number): number[] {
  const out: number[] = []
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!m) fail('METAINFO_INVALID_MAGNET', `bad so= range ${JSON.stringify(part)}`)
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (to < from || to - from + out.length >= max)
      fail('METAINFO_INVALID_MAGNET', `so= selects more than ${max} files`)
    for (let i = from; i <= to; i++) out.push(i)
  }
  return [...new Set(out)].sort((a, b) => a - b)
}

/**
 * Parses a magnet link (BEP 9, v2 and hybrid per BEP 52/53): `xt=urn:btih:` (hex or base32),
 * `xt=urn:btmh:1220<sha256>`, `dn`, `tr`, `ws`, `x.pe`, `so`.
 *
 * @example
 * ```ts
 * import { parseMagnet } from '@p2p/metainfo'
 * const m = parseMagnet('magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=ubuntu')
 * m.infoHash // 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
 * ```
 * @throws MetainfoError `METAINFO_INVALID_MAGNET` when it is not a magnet link or has no info hash.
 */
export function parseMagnet(uri: string, options: MagnetOptions = {}): MagnetLink {
  if (typeof uri !== 'string') fail('METAINFO_INVALID_MAGNET', 'a magnet link must be a string')
  const maxLength = options.maxLength ?? 65536
  if (uri.length > maxLength)
    fail('METAINFO_INVALID_MAGNET', `magnet link longer than ${maxLength} characters`)
  const trimmed = uri.trim()
  if (!/^magnet:\?/i.test(trimmed))
    fail('METAINFO_INVALID_MAGNET', 'not a magnet link (must start with magnet:?)')
  const link: MagnetLink = { trackers: [], peers: [], urlList: [] }
  for (const pair of trimmed.slice(8).split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase()
    const value = eq < 0 ? '' : unescapeValue(pair.slice(eq + 1))
    const base = key.replace(/\.\d+$/, '')
    if (base === 'xt') {
      const v = value.toLowerCase()
      if (v.startsWith('urn:btih:')) {
        const h = v.slice(9)
        const hex = /^[0-9a-f]{40}$/.test(h) ? h : h.length === 32 ? base32ToHex(h) : undefined
        if (hex?.length !== 40) fail('METAINFO_INVALID_MAGNET', `bad btih info hash ${JSON.stringify(h)}`)
        link.infoHash = hex
      } else if (v.startsWith('urn:btmh:')) {
        const h = v.slice(9)
        if (!/^1220[0-9a-f]{64}$/.test(h))
          fail('METAINFO_INVALID_MAGNET', `bad btmh multihash ${JSON.stringify(h)}`)
        link.infoHashV2 = h.slice(4)
      }
    } else if (key === 'dn') {
      link.name = value
    } else if (base === 'tr') {
      if (value && !link.trackers.includes(value)) link.trackers.push(value)
    } else if (base === 'ws') {
      if (value && !link.urlList.includes(value)) link.urlList.push(value)
    } else if (key === 'x.pe') {
      const peer = parsePeer(value)
      if (peer) link.peers.push(peer)
    } else if (key === 'so') {
      link.selectOnly = parseSelect(value, options.maxSelect ?? 100_000)
    }
  }
  if (!link.infoHash && !link.infoHashV2)
    fail('METAINFO_INVALID_MAGNET', 'magnet link without a btih or btmh info hash')
  return link
}

function formatSelect(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`)
    i = j + 1
  }
  return parts.join(',')
}

/**
 * Formats a magnet link from a parsed torrent or a {@link MagnetLink}: both info hashes of a
 * hybrid torrent, the name, every tracker (tiers flattened) and web seed.
 *
 * @example
 * ```ts
 * toMagnet(parseTorrent(bytes)) // 'magnet:?xt=urn:btih:...&xt=urn:btmh:1220...&dn=...&tr=...'
 * ```
 */
export function toMagnet(m: Metainfo | MagnetLink): string {
  const parts: string[] = []
  if (m.infoHash) parts.push(`xt=urn:btih:${m.infoHash}`)
  if (m.infoHashV2) parts.push(`xt=urn:btmh:1220${m.infoHashV2}`)
  if (parts.length === 0) fail('METAINFO_INVALID_MAGNET', 'no info hash to put in a magnet link')
  if (m.name) parts.push(`dn=${encodeURIComponent(m.name)}`)
  const trackers = 'trackers' in m ? m.trackers : (m as Metainfo).announce.flat()
  for (const t of [...new Set(trackers)]) parts.push(`tr=${encodeURIComponent(t)}`)
  for (const w of m.urlList) parts.push(`ws=${encodeURIComponent(w)}`)
  if ('peers' in m) {
    for (const p of m.peers) parts.push(`x.pe=${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`)
    if (m.selectOnly && m.selectOnly.length > 0) parts.push(`so=${formatSelect(m.selectOnly)}`)
  }
  return `magnet:?${parts.join('&')}`
}
