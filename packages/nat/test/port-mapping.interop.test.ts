import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import {
  type Child,
  COMPONENTS,
  DEBIAN_PYTHON,
  LAN_HOST,
  missingComponents,
  type RouterLab,
  requireBuilt,
  requireComponents,
  spawnChild,
  startRouterLab,
  tempDir,
  WAN_ROUTER,
  waitFor,
} from '@p2p/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./mapper-child.mjs', import.meta.url))
const LT_PORTMAP = fileURLToPath(new URL('./lt-portmap.py', import.meta.url))

/** A TCP connection attempt from the outside namespace: the greeting, or the error code. */
const PROBE = `const s=require('net').connect(+process.argv[2],process.argv[1]);s.setTimeout(3000);
s.on('data',d=>{console.log('CONNECTED '+d.toString().trim());process.exit(0)});
s.on('timeout',()=>{console.log('FAILED ETIMEDOUT');process.exit(0)});
s.on('error',e=>{console.log('FAILED '+e.code);process.exit(0)})`

let lab: RouterLab | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
const children: Child[] = []

function requireLab(ctx: { skip: (note?: string) => void }): RouterLab {
  requireComponents(ctx, COMPONENTS.miniupnpd, COMPONENTS.upnpc, COMPONENTS.natpmpc, COMPONENTS.nft)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the port mapping interop test needs root in CI')
    ctx.skip('network namespaces need root')
  }
  requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/nat')
  if (!lab) throw new Error('lab not started')
  return lab
}

beforeAll(async () => {
  if (process.getuid?.() !== 0 || missingComponents([COMPONENTS.miniupnpd, COMPONENTS.nft]).length > 0) return
  dir = await tempDir('p2p-nat-')
  try {
    lab = await startRouterLab('natm', dir.path)
    await waitFor(() => lab!.miniupnpd.output().includes('Listening for NAT-PMP/PCP'), 10_000, 'miniupnpd')
  } catch (err) {
    await lab?.close()
    lab = undefined
    throw err
  }
})

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(2000)))
  await lab?.close()
  await dir?.remove()
}, 20_000)

async function probe(port: number): Promise<string> {
  return (await lab!.exec(lab!.outside, process.execPath, ['-e', PROBE, WAN_ROUTER, String(port)])).trim()
}

/** Our mapper in the LAN namespace, as a child process printing its events as JSON lines. */
function startMapper(internalPort: number, method: string) {
  const child = spawnChild(
    'ip',
    ['netns', 'exec', lab!.lan, process.execPath, CHILD, JSON.stringify({ internalPort, method })],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  children.push(child)
  const events = () =>
    child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as {
            event: string
            arg?: { transport?: string; externalPort?: number; address?: string }
          },
      )
  return { child, events }
}

describe('port mapping against miniupnpd in network namespaces', () => {
  it.for([
    ['upnp', 7101],
    ['natpmp', 7102],
    ['pcp', 7103],
  ] as const)(
    '%s: maps TCP and UDP, the outside gets in, and is refused after close',
    async ([method, port], ctx) => {
      requireLab(ctx)
      expect(await probe(port)).toBe('FAILED ECONNREFUSED')
      const { child, events } = startMapper(port, method)
      const started = await waitFor(
        () => events().find((e) => e.event === 'started' || e.event === 'start-failed'),
        20_000,
        `${method} mapper start (output: ${child.output()})`,
      )
      expect(started.event).toBe('started')
      const list = events()
      expect(list.find((e) => e.event === 'method')?.arg).toBe(method)
      expect(list.find((e) => e.event === 'external-address')?.arg?.address).toBe(WAN_ROUTER)
      const mapped = list
        .filter((e) => e.event === 'mapped')
        .map((e) => `${e.arg?.transport} ${e.arg?.externalPort}`)
      expect(mapped.sort()).toEqual([`tcp ${port}`, `udp ${port}`])
      expect(await probe(port)).toBe(`CONNECTED hello from ${port}`)

      child.proc.stdin!.write('close\n')
      await once(child.proc, 'exit')
      expect(events().filter((e) => e.event === 'unmapped')).toHaveLength(2)
      expect(events().filter((e) => e.event === 'failed')).toEqual([])
      expect(await probe(port)).toBe('FAILED ECONNREFUSED')
      expect(lab!.miniupnpd.output()).not.toMatch(/MiniUPnPd is already running/)
    },
  )

  it('upnpc and natpmpc (the reference clients) map and unmap the same way', async (ctx) => {
    const l = requireLab(ctx)
    const listener = spawnChild('ip', [
      'netns',
      'exec',
      l.lan,
      process.execPath,
      '-e',
      "for (const p of [7201, 7202]) require('net').createServer((c) => c.end('hello from ' + p + '\\n')).listen(p)",
    ])
    children.push(listener)
    const upnpc = await l.exec(l.lan, 'upnpc', ['-e', 'reference', '-a', LAN_HOST, '7201', '7201', 'TCP'])
    expect(upnpc).toContain(`ExternalIPAddress = ${WAN_ROUTER}`)
    const natpmpc = await l.exec(l.lan, 'natpmpc', ['-a', '7202', '7202', 'tcp', '600'])
    expect(natpmpc).toContain('Mapped public port 7202 protocol TCP to local port 7202')
    await waitFor(async () => (await probe(7201)).startsWith('CONNECTED'), 5000, 'listener in the LAN')
    expect(await probe(7201)).toBe('CONNECTED hello from 7201')
    expect(await probe(7202)).toBe('CONNECTED hello from 7202')
    await l.exec(l.lan, 'upnpc', ['-d', '7201', 'TCP'])
    await l.exec(l.lan, 'natpmpc', ['-a', '7202', '0', 'tcp', '0'])
    expect(await probe(7201)).toBe('FAILED ECONNREFUSED')
    expect(await probe(7202)).toBe('FAILED ECONNREFUSED')
    await listener.stop()
  })
  it.for([
    ['upnp', '7301'],
    ['natpmp', '7302'],
  ] as const)(
    "libtorrent's own %s mapper (the other reference) maps against the same router",
    async ([method, port], ctx) => {
      const l = requireLab(ctx)
      requireComponents(ctx, COMPONENTS.libtorrent)
      const out = await l.exec(l.lan, DEBIAN_PYTHON, [LT_PORTMAP, method, LAN_HOST, port], 30_000)
      expect(out).toContain(`RESULT PASS ${method}`)
    },
  )
})
