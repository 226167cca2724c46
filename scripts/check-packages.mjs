// Packs every publishable package, then on each tarball: publint (strict: warnings fail) and
// @arethetypeswrong/cli (attw, types under node10/node16/bundler), and prints each package's
// installed size: its unpacked tarball plus its production dependency closure (workspace packages
// by their tarballs, third-party packages by their files in node_modules; optional dependencies
// are shown apart). Exits non-zero when a check fails. Runs offline (both tools are devDependencies).
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { packAll, ROOT } from './pack-packages.mjs'

const bin = (name) => join(ROOT, 'node_modules', '.bin', name)

/** Bytes of the files in a tarball, as installed. */
function unpackedSize(tarball) {
  const list = execFileSync('tar', ['-tvzf', tarball], { encoding: 'utf8' })
  let total = 0
  for (const line of list.split('\n')) {
    const size = Number(line.trim().split(/\s+/)[2])
    if (line.startsWith('-') && Number.isFinite(size)) total += size
  }
  return total
}

/** Bytes of the files under `dir`, not counting nested node_modules. */
function dirSize(dir) {
  let total = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue
    const p = join(dir, e.name)
    if (e.isDirectory()) total += dirSize(p)
    else if (e.isFile()) total += statSync(p).size
  }
  return total
}

/** The real directory of `name` as Node resolves it from `from` (walking up node_modules). */
function resolveDir(name, from) {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(d) === d) return undefined
  }
}

/** Production dependencies of a package.json: required and optional names. */
function depsOf(pkg) {
  const optionalPeers = Object.keys(pkg.peerDependenciesMeta ?? {}).filter(
    (n) => pkg.peerDependenciesMeta[n].optional,
  )
  const peers = Object.keys(pkg.peerDependencies ?? {})
  return {
    required: [...Object.keys(pkg.dependencies ?? {}), ...peers.filter((n) => !optionalPeers.includes(n))],
    optional: [...Object.keys(pkg.optionalDependencies ?? {}), ...optionalPeers],
  }
}

const work = mkdtempSync(join(tmpdir(), 'p2p-check-packages-'))
let failed = 0
try {
  const packed = packAll(work)
  const byName = new Map(packed.map((p) => [p.name, { ...p, size: unpackedSize(p.tarball) }]))

  /** Adds `name` (resolved from `from`) and its required closure to `seen` (key -> bytes). */
  const collect = (name, from, seen) => {
    const ours = byName.get(name)
    const dir = ours ? ours.dir : resolveDir(name, from)
    if (!dir) throw new Error(`cannot resolve ${name} from ${relative(ROOT, from)}`)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const key = `${pkg.name}@${pkg.version}`
    if (seen.has(key)) return
    seen.set(key, ours ? ours.size : dirSize(dir))
    for (const dep of depsOf(pkg).required) collect(dep, dir, seen)
  }
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0)
  const mb = (n) => `${(n / 1e6).toFixed(2)} MB`.padStart(9)

  /** Runs a tool; resolves to its exit status and output. */
  const run = (tool, args) =>
    new Promise((done) => {
      execFile(bin(tool), args, { encoding: 'utf8' }, (err, stdout, stderr) =>
        done({ ok: !err, out: `${stdout}${stderr}` }),
      )
    })
  /** publint (strict) and attw on one tarball: lines to print and whether both passed. */
  const check = async (p) => {
    const [lint, attw] = [
      await run('publint', ['--strict', p.tarball]),
      await run('attw', ['--no-definitely-typed', '--format', 'ascii', '--no-color', p.tarball]),
    ]
    const lintClean =
      lint.ok && !/warning|error|suggestion/i.test(lint.out.replace(/^Running publint.*$/m, ''))
    return [
      lintClean ? 'publint: clean' : `publint: FAILED\n${lint.out}`,
      attw.ok ? 'attw: clean (node10, node16 CJS/ESM, bundler)' : `attw: FAILED\n${attw.out}`,
    ]
  }
  // two packages at a time (CI has 2 cores)
  const queue = [...byName.values()]
  const reports = new Map()
  await Promise.all(
    [0, 1].map(async () => {
      for (let p = queue.shift(); p; p = queue.shift()) reports.set(p.name, await check(p))
    }),
  )

  const rows = []
  for (const p of byName.values()) {
    console.log(`\n=== ${p.name}`)
    for (const line of reports.get(p.name)) {
      if (line.includes('FAILED')) failed++
      console.log(line)
    }
    const seen = new Map()
    collect(p.name, p.dir, seen)
    const optional = new Map()
    for (const dep of depsOf(p.pkg).optional) {
      if (resolveDir(dep, p.dir) || byName.has(dep)) collect(dep, p.dir, optional)
    }
    for (const k of seen.keys()) optional.delete(k)
    rows.push({
      name: p.name,
      tarball: statSync(p.tarball).size,
      own: p.size,
      installed: sum(seen),
      deps: seen.size - 1,
      optional: sum(optional),
    })
  }

  console.log('\ninstalled size of each package (its unpacked tarball + production dependency closure):')
  console.log(
    `${'package'.padEnd(22)} ${'tarball'.padStart(9)} ${'unpacked'.padStart(9)} ${'installed'.padStart(9)}  deps  optional extras`,
  )
  for (const r of rows) {
    const opt = r.optional ? `+${mb(r.optional).trim()}` : '-'
    console.log(
      `${r.name.padEnd(22)} ${mb(r.tarball)} ${mb(r.own)} ${mb(r.installed)} ${String(r.deps).padStart(5)}  ${opt}`,
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
if (failed > 0) {
  console.log(`\ncheck-packages: ${failed} check(s) failed`)
  process.exit(1)
}
console.log('\ncheck-packages: publint and attw clean for every package')
