import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** The reference torrents' content rule (see test-utils/fixtures/reference-torrents/README.md). */
export function contentBytes(seed: string, path: string, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0, off = 0; off < size; i++, off += 32) {
    const block = createHash('sha256').update(`${seed}/${path}:${i}`, 'utf8').digest()
    out.set(block.subarray(0, Math.min(32, size - off)), off)
  }
  return out
}

/** Writes every file of a case under `root`. */
export async function writeCase(
  root: string,
  seed: string,
  files: { path: string; size: number }[],
): Promise<void> {
  for (const f of files) {
    const full = join(root, f.path)
    await mkdir(dirname(full), { recursive: true })
    await writeFile(full, contentBytes(seed, f.path, f.size))
  }
}
