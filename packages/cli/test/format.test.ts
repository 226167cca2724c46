import { describe, expect, it } from 'vitest'
import { formatBytes, formatEta, formatPercent, formatSpeed } from '../src/format.js'

describe('format', () => {
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(32 * 2 ** 20)).toBe('32.0 MiB')
    expect(formatBytes(2 ** 30)).toBe('1.00 GiB')
    expect(formatBytes(Number.NaN)).toBe('?')
    expect(formatSpeed(2 ** 20)).toBe('1.00 MiB/s')
  })
  it('formats ETA and percent', () => {
    expect(formatEta(undefined)).toBe('-')
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('-')
    expect(formatEta(41.2)).toBe('42s')
    expect(formatEta(185)).toBe('3m05s')
    expect(formatEta(7620)).toBe('2h07m')
    expect(formatPercent(0.425)).toBe('42.5%')
    expect(formatPercent(2)).toBe('100.0%')
    expect(formatPercent(Number.NaN)).toBe('0.0%')
  })
})
