import { MAX_PRIORITY } from '@p2p/swarm'
import { CliError } from './errors.js'

/** Largest file index `--files` / `--priority` accept (a torrent with more files is not realistic). */
export const MAX_FILE_INDEX = 1_000_000

/** Most indexes one `--files` list may expand to (`0-1000000` is refused, not allocated). */
export const MAX_FILE_LIST = 100_000

function index(flag: string, s: string, whole: string): number {
  if (!/^\d+$/.test(s)) {
    throw new CliError('CLI_USAGE', `${flag} expects file indexes like 0,2-4, got ${JSON.stringify(whole)}`)
  }
  const n = Number(s)
  if (n > MAX_FILE_INDEX) {
    throw new CliError('CLI_USAGE', `${flag}: file index ${s} is larger than ${MAX_FILE_INDEX}`)
  }
  return n
}

/**
 * Parses a `--files` list: comma-separated indexes and inclusive ranges (`0,2-4` is 0, 2, 3, 4), as
 * `p2p info` numbers the files. Sorted, without duplicates.
 * @throws {CliError} `CLI_USAGE` for an empty list, a malformed item, a reversed range or too many indexes.
 */
export function parseFileList(spec: string): number[] {
  const out = new Set<number>()
  const items = spec.split(',').map((s) => s.trim())
  for (const item of items) {
    const m = /^([^-]*)-([^-]*)$/.exec(item)
    const from = index('--files', m ? m[1]!.trim() : item, spec)
    const to = m ? index('--files', m[2]!.trim(), spec) : from
    if (to < from) throw new CliError('CLI_USAGE', `--files: range ${item} is reversed`)
    if (out.size + (to - from + 1) > MAX_FILE_LIST) {
      throw new CliError('CLI_USAGE', `--files selects more than ${MAX_FILE_LIST} files`)
    }
    for (let i = from; i <= to; i++) out.add(i)
  }
  return [...out].sort((a, b) => a - b)
}

/**
 * Parses `--priority <index>=<priority>` values (0 = skip, 1 low .. 7 top, 4 default); a later value
 * for the same index wins. Returns a sparse array indexed by file.
 * @throws {CliError} `CLI_USAGE` for a malformed value or a priority outside 0..7.
 */
export function parsePriorities(values: readonly string[]): number[] {
  const out: number[] = []
  for (const v of values) {
    const m = /^\s*(\d+)\s*=\s*(\d+)\s*$/.exec(v)
    if (!m) {
      throw new CliError(
        'CLI_USAGE',
        `--priority expects <file index>=<0..${MAX_PRIORITY}>, got ${JSON.stringify(v)}`,
      )
    }
    const i = index('--priority', m[1]!, v)
    const p = Number(m[2])
    if (p > MAX_PRIORITY) {
      throw new CliError(
        'CLI_USAGE',
        `--priority: priority must be 0..${MAX_PRIORITY}, got ${JSON.stringify(v)}`,
      )
    }
    out[i] = p
  }
  return out
}

/**
 * The first index `--files` or `--priority` names that the torrent (of `fileCount` files) lacks, as a
 * `CLI_USAGE` error, or `undefined` when all exist.
 */
export function missingFile(
  fileCount: number,
  files: readonly number[] | undefined,
  priorities: readonly number[] | undefined,
): CliError | undefined {
  const flag = (f: string, i: number) =>
    new CliError(
      'CLI_USAGE',
      `${f}: no file ${i} (the torrent has ${fileCount} file${fileCount === 1 ? '' : 's'}, 0..${fileCount - 1}; see p2p info)`,
    )
  for (const i of files ?? []) if (i >= fileCount) return flag('--files', i)
  let bad: number | undefined
  priorities?.forEach((_, i) => {
    if (bad === undefined && i >= fileCount) bad = i
  })
  return bad === undefined ? undefined : flag('--priority', bad)
}
