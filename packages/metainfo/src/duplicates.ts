import { fail } from './errors.js'

interface PathFile {
  path: string
  length: number
  pad: boolean
}

/** ASCII-only lower case, as libtorrent's `to_lower`. */
function lower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

/** libtorrent's `remove_extension` / `extension`. */
function splitExtension(f: string): [string, string] {
  const slash = f.lastIndexOf('/')
  const dot = f.lastIndexOf('.')
  if (dot <= 0 || dot < slash) return [f, '']
  return [f.slice(0, dot), f.slice(dot)]
}

/** The directories of the files relative to the name, as libtorrent's `m_paths` (first-seen order). */
function branchPaths(files: PathFile[], name: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const f of files) {
    const cut = f.path.lastIndexOf('/')
    if (cut < 0) continue
    let branch = f.path.slice(0, cut)
    const first = branch.indexOf('/')
    if ((first < 0 ? branch : branch.slice(0, first)) === name)
      branch = first < 0 ? '' : branch.slice(first + 1)
    if (!seen.has(branch)) {
      seen.add(branch)
      out.push(branch)
    }
  }
  return out
}

/**
 * Renames files whose paths collide (case-insensitively) with another file or a directory, as
 * libtorrent's `resolve_duplicate_filenames`: `a.txt` becomes `a.1.txt`, `a.2.txt`... Pad files of
 * the same size may share a path.
 * @returns the final path of every file.
 * @internal
 */
export function resolveDuplicates(files: PathFile[], name: string, maxCollisions: number): string[] {
  const paths = files.map((f) => f.path)
  const dirs = branchPaths(files, name)
  // fast path: only immediate parent directories and file paths
  const fast = new Set<string>()
  for (const p of dirs) if (p !== '') fast.add(lower(`${name}/${p}`))
  let clash = false
  for (const p of paths) {
    const k = lower(p)
    if (fast.has(k)) {
      clash = true
      break
    }
    fast.add(k)
  }
  if (!clash) return paths

  // slow path: every ancestor directory, then rename collisions
  const taken = new Map<string, number>() // lower path -> file index, or -1 for a directory
  for (const p of dirs) {
    if (p === '') {
      taken.set(lower(name), -1)
      continue
    }
    for (let i = 0; i < p.length; i++) if (p[i] === '/') taken.set(lower(`${name}/${p.slice(0, i)}`), -1)
    taken.set(lower(`${name}/${p}`), -1)
  }
  let collisions = 0
  for (let i = 0; i < files.length; i++) {
    const key = lower(paths[i]!)
    const other = taken.get(key)
    if (other === undefined) {
      taken.set(key, i)
      continue
    }
    if (other >= 0 && files[i]!.pad && files[other]!.pad && files[i]!.length === files[other]!.length)
      continue
    const [base, ext] = splitExtension(paths[i]!)
    for (let cnt = 1; ; cnt++) {
      const candidate = `${base}.${cnt}${ext}`
      if (!taken.has(lower(candidate))) {
        taken.set(lower(candidate), i)
        paths[i] = candidate
        break
      }
      if (++collisions > maxCollisions) fail('METAINFO_TOO_MANY_DUPLICATES', 'too many duplicate filenames')
    }
  }
  return paths
}
