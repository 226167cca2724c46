import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

/** SHA-256 (hex) of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * SHA-256 of every regular file under `root` (or of `root` itself when it is a file), keyed by the
 * path relative to `root` with `/` separators (`''` for a single file).
 */
export async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const info = await stat(root)
  if (info.isFile()) {
    out.set('', await sha256File(root))
    return out
  }
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort()
  for (const file of files) out.set(relative(root, file).split(sep).join('/'), await sha256File(file))
  return out
}

/** The integrity verdict of one downloaded copy against the original. */
export interface IntegrityResult {
  /** Whose copy (e.g. `leecher-1`). */
  label: string
  /** True when every original file exists in the copy with the same SHA-256. */
  ok: boolean
  /** Files compared. */
  files: number
  /** Relative paths that are missing or differ. */
  bad: string[]
}

/**
 * Compares a copy with the original: every file of the original must exist in the copy with the
 * same SHA-256 (extra files in the copy, such as resume data, are ignored).
 */
export function compareTrees(
  label: string,
  original: Map<string, string>,
  copy: Map<string, string>,
): IntegrityResult {
  const bad = [...original].filter(([path, hash]) => copy.get(path) !== hash).map(([path]) => path || '.')
  return { label, ok: bad.length === 0, files: original.size, bad }
}

/** Formats integrity results as a summary table; the last line says whether all matched. */
export function formatIntegrity(results: IntegrityResult[]): string {
  const width = Math.max(4, ...results.map((r) => r.label.length))
  const lines = results.map(
    (r) =>
      `${r.label.padEnd(width)}  ${r.ok ? 'OK  ' : 'FAIL'}  ${r.files - r.bad.length}/${r.files} files match${
        r.bad.length ? ` (bad: ${r.bad.slice(0, 5).join(', ')}${r.bad.length > 5 ? ', ...' : ''})` : ''
      }`,
  )
  const all = results.length > 0 && results.every((r) => r.ok)
  lines.push(all ? 'integrity: every copy matches the original (SHA-256)' : 'integrity: MISMATCH')
  return lines.join('\n')
}
