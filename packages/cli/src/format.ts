import type { Metainfo } from '@p2p/metainfo'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** Formats a byte count with a binary unit: `0 B`, `512 B`, `1.5 MiB`, `1.00 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${Math.round(value)} B`
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`
}

/** Formats a rate in bytes per second: `1.5 MiB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/**
 * Formats an ETA in seconds as `42s`, `3m05s`, `2h07m`; `-` when unknown (not finite or negative).
 */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Formats a 0..1 fraction as a percentage with one decimal: `42.5%`. */
export function formatPercent(fraction: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  return `${(f * 100).toFixed(1)}%`
}

/** The fields that name and size a torrent in `--json` output (`p2p info` and `p2p create`), in order. */
export function metainfoSummary(m: Metainfo): Record<string, unknown> {
  return {
    name: m.name,
    version: m.version,
    infoHash: m.infoHash ?? null,
    infoHashV2: m.infoHashV2 ?? null,
    pieceLength: m.pieceLength,
    pieces: m.pieceCount,
    length: m.length,
  }
}
