// The install test: packs every publishable package, installs the tarballs with npm into an empty
// project outside the repository (third-party dependencies from npm's cache or the registry, no
// optional peer dependencies), then
//   - imports every package as ESM and requires it as CJS,
//   - checks the optional-dependency messages (RedisStore without ioredis, lab charts without echarts),
//   - type-checks a TS file under moduleResolution node16 and bundler,
//   - runs the `p2p` bin: `p2p --help` and `p2p create` of a small file.
// Exits non-zero on the first failure.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packAll, ROOT } from './pack-packages.mjs'

const work = mkdtempSync(join(tmpdir(), 'p2p-install-test-'))
const project = join(work, 'project')
const started = Date.now()

/** Runs a command in the project, echoing it; returns its stdout. */
function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`.slice(0, 200))
  try {
    return execFileSync(cmd, args, {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      ...options,
    })
  } catch (err) {
    console.log(err.stdout ?? '')
    console.log(`install test FAILED: ${cmd} exited with ${err.status ?? err.signal}`)
    process.exit(1)
  }
}

try {
  const packed = packAll(join(work, 'tarballs'))
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'install-test', private: true }, null, 2)}\n`,
  )
  run('npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...packed.map((p) => p.tarball),
  ])
  const names = packed.map((p) => p.name)

  // ESM and CJS: every package loads and has exports
  writeFileSync(
    join(project, 'esm.mjs'),
    `${names.map((n, i) => `import * as m${i} from '${n}'`).join('\n')}
const mods = { ${names.map((n, i) => `'${n}': m${i}`).join(', ')} }
for (const [name, m] of Object.entries(mods)) {
  if (Object.keys(m).length === 0) throw new Error(name + ': no ESM exports')
}
console.log('esm: ' + Object.keys(mods).length + ' packages imported')
`,
  )
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const names = ${JSON.stringify(names)}
for (const name of names) {
  const m = require(name)
  if (Object.keys(m).length === 0) throw new Error(name + ': no CJS exports')
}
console.log('cjs: ' + names.length + ' packages required')
`,
  )
  process.stdout.write(run('node', ['esm.mjs']))
  process.stdout.write(run('node', ['cjs.cjs']))

  // optional peer dependencies are not installed: a coded error / a note saying what to install
  writeFileSync(
    join(project, 'optional.mjs'),
    `import { RedisStore } from '@p2p/tracker-server'
import { renderReport } from '@p2p/lab'
try {
  new RedisStore({ url: 'redis://127.0.0.1:1' })
  throw new Error('RedisStore worked without ioredis')
} catch (err) {
  if (err.code !== 'TRACKER_SERVER_MISSING_DEPENDENCY' || !err.message.includes('npm install ioredis')) throw err
}
const meta = { mode: 'loopback', modeNote: '', size: 1, caps: { up: 1, down: 1 }, impls: [], started: '', notes: [] }
const chart = { id: 'c', title: 't', kind: 'line', xName: 'x', yName: 'y', series: [{ name: 's', points: [[0, 1]] }] }
const html = renderReport(meta, [{ name: 'n', summary: '', lines: [], tables: [], charts: [chart] }])
if (!html.includes('npm install echarts')) throw new Error('lab report without echarts: no install hint')
console.log('optional dependencies: coded error for ioredis, install hint for echarts')
`,
  )
  process.stdout.write(run('node', ['optional.mjs']))

  // types under node16 and bundler resolution
  writeFileSync(
    join(project, 'check.ts'),
    `import { decode, encode } from '@p2p/bencode'
import { CliError, main } from '@p2p/cli'
import { renderReport } from '@p2p/lab'
import { createTorrent, parseTorrent } from '@p2p/metainfo'
import { ipFamily } from '@p2p/peer-address'
import * as wire from '@p2p/peer-wire'
import { Client } from '@p2p/swarm'
import { TrackerClient } from '@p2p/tracker-client'
import { createTrackerServer, type TrackerServer } from '@p2p/tracker-server'

const bytes: Uint8Array = encode({ a: 1 })
const value = decode(bytes)
export async function use(): Promise<void> {
  const { torrent } = await createTorrent(bytes, { name: 'a' })
  const hash: string | undefined = parseTorrent(torrent).infoHash
  const server: TrackerServer = createTrackerServer({ host: '127.0.0.1' })
  const code: number = await main(['--help'], {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: new AbortController().signal,
  })
  console.log(value, hash, server, code, ipFamily('::1'), Object.keys(wire), Client, TrackerClient, CliError, renderReport)
}
`,
  )
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const typeRoots = join(ROOT, 'node_modules', '@types')
  for (const [module, moduleResolution] of [
    ['node16', 'node16'],
    ['esnext', 'bundler'],
  ]) {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [typeRoots],
        },
        files: ['check.ts'],
      }),
    )
    run('node', [tsc, '-p', 'tsconfig.json'])
    console.log(`types: check.ts type-checks under moduleResolution ${moduleResolution}`)
  }

  // the bin
  const p2p = join(project, 'node_modules', '.bin', 'p2p')
  const help = run(p2p, ['--help'])
  if (!help.includes('create')) throw new Error(`p2p --help does not list create:\n${help}`)
  writeFileSync(join(project, 'hello.txt'), 'hello from the install test\n'.repeat(1000))
  run(p2p, ['create', 'hello.txt', '-o', 'hello.torrent'])
  const torrent = readFileSync(join(project, 'hello.torrent'))
  if (torrent[0] !== 0x64 /* d */) throw new Error('p2p create wrote no torrent')
  console.log(`bin: p2p --help and p2p create work (${torrent.length} byte torrent)`)
  console.log(`install test passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
