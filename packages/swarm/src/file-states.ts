import { readdir, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'

/** Size and modification time of one file on disk. */
export interface FileState {
  /** Bytes on disk. */
  size: number
  /** Modification time, ms since the epoch. */
  mtimeMs: number
}

/** File system calls in flight at once when many files are looked at. */
const PARALLEL_FS_CALLS = 64

/** Runs `fn` on every item, at most {@link PARALLEL_FS_CALLS} at a time. */
export async function forEachBounded<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FS_CALLS, items.length) }, worker))
}

/**
 * Size and mtime of each path (`undefined` for '', missing files, and with `filesOnly` anything but
 * a regular file). Each directory is listed
 * once and only the files it holds are stat'ed: a fresh download of 100,000 files costs a few
 * directory reads instead of 100,000 failing stat calls (each failure builds an Error).
 */
export async function statFiles(
  paths: readonly string[],
  filesOnly = false,
): Promise<(FileState | undefined)[]> {
  const listings = new Map<string, Set<string> | undefined>()
  for (const p of paths) if (p) listings.set(dirname(p), undefined)
  await forEachBounded([...listings.keys()], async (dir) => {
    try {
      listings.set(dir, new Set(await readdir(dir)))
    } catch {
      // missing (or not a directory): none of its files exist
    }
  })
  const out: (FileState | undefined)[] = new Array(paths.length).fill(undefined)
  const present: number[] = []
  for (const [i, p] of paths.entries()) if (p && listings.get(dirname(p))?.has(basename(p))) present.push(i)
  await forEachBounded(present, async (i) => {
    try {
      const st = await stat(paths[i]!)
      if (filesOnly && !st.isFile()) return
      out[i] = { size: st.size, mtimeMs: Math.floor(st.mtimeMs) }
    } catch {
      // removed meanwhile
    }
  })
  return out
}
