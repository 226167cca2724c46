import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { requireBuilt, tempDir } from '@p2p/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTorrent } from '../src/index.js'

// The hashing workers must not depend on how the parent process was started: flags such as
// `--input-type=module` are inherited by workers unless they get their own execArgv.

let dir: Awaited<ReturnType<typeof tempDir>>
let file: string
let expected: string[]

beforeAll(async () => {
  dir = await tempDir('metainfo-entry-')
  file = join(dir.path, 'content.bin')
  // above the inline limit, so hashing runs on the worker pool
  await writeFile(file, randomBytes(4 * 1024 * 1024 + 123))
  const { metainfo } = await createTorrent(file, { version: 'hybrid', threads: 2 })
  expected = [metainfo.infoHash!, metainfo.infoHashV2!]
})

afterAll(() => dir?.remove())

/** Runs `node <args>` with `code`, returning the two info hashes it printed. */
function run(args: string[], code: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = spawnSync(process.execPath, [...args, code], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return r.stdout.trim().split(' ')
}

const print = `const t = await createTorrent(FILE, { version: 'hybrid', threads: 2 })
console.log(t.metainfo.infoHash + ' ' + t.metainfo.infoHashV2)`

it('createTorrent works under node --input-type=module -e (ESM build)', (ctx) => {
  const esm = requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/metainfo')
  const code = `import { createTorrent } from ${JSON.stringify(pathToFileURL(esm).href)}
const FILE = ${JSON.stringify(file)}
${print}`
  expect(run(['--input-type=module', '-e'], code)).toEqual(expected)
})

it('createTorrent works under node -e with NODE_OPTIONS=--input-type=module', (ctx) => {
  const esm = requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/metainfo')
  const code = `import { createTorrent } from ${JSON.stringify(pathToFileURL(esm).href)}
const FILE = ${JSON.stringify(file)}
${print}`
  expect(run(['-e'], code, { NODE_OPTIONS: '--input-type=module' })).toEqual(expected)
})

it('createTorrent works under node -e (CJS build)', (ctx) => {
  const cjs = requireBuilt(ctx, new URL('../dist/index.cjs', import.meta.url), '@p2p/metainfo')
  const code = `const { createTorrent } = require(${JSON.stringify(cjs)})
const FILE = ${JSON.stringify(file)}
;(async () => {
${print}
})()`
  expect(run(['-e'], code)).toEqual(expected)
})
