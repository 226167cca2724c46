import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Child,
  COMPONENTS,
  requireBuilt,
  requireComponents,
  spawnChild,
  startBridgeLab,
  startRouterLab,
  tempDir,
  WAN_OUTSIDE,
  WAN_ROUTER,
  waitFor,
} from '@p2p/test-utils'
import { afterEach, expect, it } from 'vitest'
import { magnetLine, withoutPeers } from './io.js'

const LSD_LISTEN = fileURLToPath(new URL('./fixtures/lsd-listen.mjs', import.meta.url))
const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
}, 20_000)

function needRoot(ctx: { skip: (note?: string) => void }): void {
  if (process.getuid?.() === 0) return
  if (process.env.CI) throw new Error('network namespaces need root in CI')
  ctx.skip('network namespaces need root')
}

/** `p2p <args>` inside a namespace. */
function p2p(bin: string, netns: string, args: string[]): Child {
  const child = spawnChild('ip', ['netns', 'exec', netns, process.execPath, bin, ...args])
  cleanup.push(() => child.stop(3000))
  return child
}

/** A file of random bytes in `dir` to seed. */
async function seedFile(dir: string): Promise<{ path: string; data: Buffer }> {
  const data = randomBytes(300_000)
  await writeFile(join(dir, 'f.bin'), data)
  return { path: join(dir, 'f.bin'), data }
}

/** Runs `p2p download` to its end and checks it got the file. */
async function downloadAndCheck(
  bin: string,
  netns: string,
  args: string[],
  out: string,
  data: Buffer,
): Promise<void> {
  const leecher = p2p(bin, netns, ['download', ...args, '-o', out])
  const code = await new Promise<number | null>((r) => leecher.proc.on('exit', r))
  expect(code, leecher.output()).toBe(0)
  expect(Buffer.compare(await readFile(join(out, 'f.bin')), data)).toBe(0)
}

const magnetOf = (seeder: Child) => magnetLine(() => seeder.output())

it('p2p seed --port-mapping behind miniupnpd is downloaded from the outside through the mapped port', {
  timeout: 60_000,
}, async (ctx) => {
  const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
  requireComponents(ctx, COMPONENTS.miniupnpd, COMPONENTS.nft)
  needRoot(ctx)
  const dir = await tempDir('p2p-cli-nat-')
  cleanup.push(dir.remove)
  const lab = await startRouterLab('natc', dir.path)
  cleanup.push(lab.close)
  await waitFor(() => lab.miniupnpd.output().includes('Listening for NAT-PMP/PCP'), 10_000, 'miniupnpd')
  const file = await seedFile(dir.path)
  const seeder = p2p(bin, lab.lan, ['seed', file.path, '--v1', '--port', '7401', '--port-mapping'])
  const magnet = await magnetOf(seeder)
  await waitFor(
    () => /port mapping: tcp 7401 -> 7401 via pcp/.test(seeder.output()),
    20_000,
    `mapping (${seeder.output()})`,
  )
  expect(seeder.output()).toContain(`port mapping: external address ${WAN_ROUTER}`)
  const args = [magnet, '--host', WAN_OUTSIDE, '--peer', `${WAN_ROUTER}:7401`]
  await downloadAndCheck(bin, lab.outside, args, join(dir.path, 'out'), file.data)
})

type Host = { netns: string; ip: string }

/** The built CLI, a temp dir and two hosts on a bridge (all removed after the test). */
async function bridgeSetup(
  ctx: { skip: (note?: string) => void },
  prefix: string,
): Promise<{ bin: string; dir: string; a: Host; b: Host }> {
  const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
  needRoot(ctx)
  const dir = await tempDir(`p2p-cli-${prefix}-`)
  cleanup.push(dir.remove)
  const lab = await startBridgeLab(prefix, 2)
  cleanup.push(lab.close)
  const [a, b] = lab.hosts as [Host, Host]
  return { bin, dir: dir.path, a, b }
}

it('p2p download finds p2p seed on the LAN with no tracker and no peer given (LSD is on by default)', {
  timeout: 60_000,
}, async (ctx) => {
  const { bin, dir, a, b } = await bridgeSetup(ctx, 'natb')
  const file = await seedFile(dir)
  const seeder = p2p(bin, a.netns, ['seed', file.path, '--host', a.ip, '--port', '6881'])
  // without its x.pe= peer: the download must find the seed through LSD
  const magnet = withoutPeers(await magnetOf(seeder))
  await downloadAndCheck(bin, b.netns, [magnet, '--host', b.ip], join(dir, 'out'), file.data)
})

it('p2p seed --host 127.0.0.1 announces on the loopback interface only, never on the LAN', {
  timeout: 60_000,
}, async (ctx) => {
  const { bin, dir, a, b } = await bridgeSetup(ctx, 'natl')
  const listen = (netns: string, iface: string) => {
    const child = spawnChild('ip', ['netns', 'exec', netns, process.execPath, LSD_LISTEN, iface])
    cleanup.push(() => child.stop(2000))
    return child
  }
  // Listeners on the seeder's loopback and on the other host of the LAN.
  const loopback = listen(a.netns, '127.0.0.1')
  const lan = listen(b.netns, b.ip)
  for (const l of [loopback, lan]) await waitFor(() => l.output().includes('listening'), 10_000, 'listener')
  const seeder = p2p(bin, a.netns, [
    'seed',
    (await seedFile(dir)).path,
    '--host',
    '127.0.0.1',
    '--port',
    '6881',
  ])
  await magnetOf(seeder)
  await waitFor(() => loopback.output().includes('Port: 6881'), 20_000, `announce on lo (${seeder.output()})`)
  // A control: the same host's announce for a seed on its LAN address crosses the bridge.
  await mkdir(join(dir, 'control'))
  const control = p2p(bin, a.netns, [
    'seed',
    (await seedFile(join(dir, 'control'))).path,
    '--host',
    a.ip,
    '--port',
    '6882',
  ])
  await waitFor(() => lan.output().includes('Port: 6882'), 20_000, `control announce (${control.output()})`)
  expect(lan.output()).not.toContain('Port: 6881')
})
