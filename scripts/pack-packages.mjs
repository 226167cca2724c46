// Packs every publishable workspace package (packages/* that are not private) with `pnpm pack`
// (which rewrites `workspace:*` ranges to real versions) into one directory. Used by
// check-packages.mjs (publint, attw, installed sizes) and install-test.mjs.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..')

/** The publishable packages: `{ name, version, dir, pkg }` with `pkg` their package.json. */
export function publishablePackages() {
  const out = []
  for (const entry of readdirSync(join(ROOT, 'packages'))) {
    const dir = join(ROOT, 'packages', entry)
    let pkg
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    } catch {
      continue
    }
    if (!pkg.private) out.push({ name: pkg.name, version: pkg.version, dir, pkg })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/** Packs every publishable package into `dest`; returns them with `tarball` (absolute path) added. */
export function packAll(dest) {
  return publishablePackages().map((p) => {
    const out = execFileSync('pnpm', ['pack', '--json', '--pack-destination', dest], {
      cwd: p.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const { filename } = JSON.parse(out.slice(out.indexOf('{')))
    return { ...p, tarball: resolve(dest, filename) }
  })
}
