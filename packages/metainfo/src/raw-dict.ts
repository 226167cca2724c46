import { type BencodeDict, type BencodeValue, rawBytes, rawSpan } from '@p2p/bencode'
import { fail } from './errors.js'

const lenient = new TextDecoder('utf-8')

/** Bytes that may be scanned value by value (a budget, so no input costs more than a few passes). */
export interface ScanBudget {
  left: number
}

function skipValue(b: Uint8Array, i: number, budget: ScanBudget): number {
  const start = i
  const c = b[i]
  let end: number
  if (c === 0x69) {
    while (b[i] !== 0x65) i++
    end = i + 1
  } else if (c === 0x6c || c === 0x64) {
    i++
    while (b[i] !== 0x65) {
      if (c === 0x64) i = skipValue(b, i, budget)
      i = skipValue(b, i, budget)
    }
    end = i + 1
  } else {
    let n = 0
    while (b[i] !== 0x3a) n = n * 10 + (b[i++]! - 0x30)
    end = i + 1 + n
  }
  budget.left -= end - start
  if (budget.left < 0) fail('METAINFO_INVALID_FILE_TREE', 'file tree too complex to walk')
  return end
}

/**
 * @internal The entries of a dictionary decoded with spans, in file order with raw key bytes
 * (object key order differs for integer-like keys, and binary keys are lossy as text). Values are
 * skipped through their recorded spans; only integers and values hidden by a duplicate key are
 * scanned, which draws on `budget`.
 */
export function rawEntries(dict: BencodeDict, budget: ScanBudget): [Uint8Array, BencodeValue][] {
  const raw = rawBytes(dict)
  const span = rawSpan(dict)
  if (!raw || !span) return Object.keys(dict).map((k) => [new TextEncoder().encode(k), dict[k]!])
  const out: [Uint8Array, BencodeValue][] = []
  let i = 1
  while (i < raw.length && raw[i] !== 0x65) {
    let j = i
    let n = 0
    while (raw[j] !== 0x3a) n = n * 10 + (raw[j++]! - 0x30)
    const key = raw.subarray(j + 1, j + 1 + n)
    const at = j + 1 + n
    const value = dict[lenient.decode(key)]
    const vs = rawSpan(value)
    i =
      vs && vs.source === span.source && vs.start === span.start + at
        ? vs.end - span.start
        : skipValue(raw, at, budget)
    if (value !== undefined) out.push([key, value])
  }
  return out
}
