import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type Child,
  COMPONENTS,
  requireBuilt,
  requireComponents,
  spawnChild,
  startNatPairLab,
  tempDir,
  waitFor,
} from '@p2p/test-utils'
import { afterEach, expect, it } from 'vitest'
import { v1Torrent, writeContent } from './helpers.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
}, 20_000)

const PORT = { pub: 6901, a: 6902, b: 6903 }

interface Stats {
  type: 'stats'
  progress: number
  peersByTransport: { utp: number; tcp: number }
  utpWhileDownloading: number
  holepunches: { relayed: number; started: number; connected: number }
  from: Record<string, number>
}

/** Bytes downloaded from peers at `host` (any port: an incoming connection shows its source port). */
const fromHost = (s: Stats | undefined, host: string) =>
  Object.entries(s?.from ?? {}).reduce((n, [addr, b]) => (addr.startsWith(`${host}:`) ? n + b : n), 0)
const connectedTo = (s: Stats | undefined, host: string) =>
  Object.keys(s?.from ?? {}).some((addr) => addr.startsWith(`${host}:`))

/** The last stats line a peer printed. */
function lastStats(child: Child): Stats | undefined {
  const lines = child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"type":"stats"'))
  return lines.length ? (JSON.parse(lines.at(-1)!) as Stats) : undefined
}

it('two peers behind two NATs trade pieces over uTP after a BEP 55 holepunch through a public relay', {
  timeout: 90_000,
}, async (ctx) => {
  requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/swarm')
  requireComponents(ctx, COMPONENTS.nft)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('network namespaces need root in CI')
    ctx.skip('network namespaces need root')
  }
  const script = new URL('./fixtures/holepunch-peer.mjs', import.meta.url).pathname
  const dir = await tempDir('swarm-holepunch-')
  cleanup.push(dir.remove)
  const content = await writeContent(join(dir.path, 'a'), { 'h.bin': 600_000 })
  const bytes = content.get('h.bin')!
  const torrentFile = join(dir.path, 'h.torrent')
  await writeFile(torrentFile, await v1Torrent('h.bin', [{ path: ['h.bin'], bytes }], 16384, true))
  const lab = await startNatPairLab('swhp')
  cleanup.push(lab.close)
  const peer = (netns: string, cfg: Record<string, unknown>) => {
    const child = spawnChild('ip', ['netns', 'exec', netns, process.execPath, script, JSON.stringify(cfg)])
    children.push([String(cfg.role), child])
    cleanup.push(() => child.stop(3000))
    return child
  }
  const children: [string, Child][] = []
  /** waitFor, failing with the output of every peer. */
  const until = <T>(check: () => T, ms: number, what: string) =>
    waitFor(check, ms, what).catch((err: Error) => {
      const outputs = children.map(([name, c]) => `--- ${name}\n${c.output().slice(-3000)}`)
      throw new Error([err.message, ...outputs].join('\n'))
    })
  const ready = (c: Child) => until(() => lastStats(c), 20_000, 'stats')
  const relayAddr = `${lab.pub.ip}:${PORT.pub}`
  const relay = peer(lab.pub.netns, {
    role: 'relay',
    torrent: torrentFile,
    dir: join(dir.path, 'c'),
    port: PORT.pub,
  })
  await ready(relay)
  // The seed behind NAT 1 connects out to the relay (the relay never reaches it). With ut_pex off it
  // never hears of b, so it dials b only when the relay tells it to (a seed dialing b on its own at the
  // same moment as b dials it would punch through without help).
  const seed = peer(lab.a.netns, {
    role: 'seed',
    torrent: torrentFile,
    dir: join(dir.path, 'a'),
    name: 'h.bin',
    port: PORT.a,
    peers: [relayAddr],
    pex: false,
  })
  const aPublic = `${lab.a.publicIp}:${PORT.a}`
  await until(() => connectedTo(lastStats(relay), lab.a.publicIp), 20_000, 'a connected to the relay')
  // Without a holepunch, b cannot reach a at all: neither TCP nor uTP gets through NAT 1.
  const probe = peer(lab.b.netns, { role: 'probe', target: aPublic })
  await until(() => probe.output().includes('"probe"'), 20_000, 'the probe')
  const probed = JSON.parse(
    probe
      .output()
      .split('\n')
      .find((l) => l.includes('"probe"'))!,
  )
  expect(probed.tcp).not.toBe('connected')
  expect(probed.utp).not.toBe('connected')
  // The leecher behind NAT 2 knows only the relay; it hears of a by PEX, fails to dial it, asks the
  // relay for a rendezvous, and both punch.
  const leech = peer(lab.b.netns, {
    role: 'leech',
    torrent: torrentFile,
    dir: join(dir.path, 'b'),
    port: PORT.b,
    peers: [relayAddr],
  })
  const done = await until(
    () => {
      const s = lastStats(leech)
      return s && s.progress === 1 ? s : undefined
    },
    60_000,
    'the leecher to finish',
  )
  const summary = children.map(([name, c]) => `${name}: ${JSON.stringify(lastStats(c))}`).join('\n')
  // Nearly all of it came from a, over uTP (the relay downloads at 1 byte/s: a block at most).
  expect(fromHost(done, lab.a.publicIp), summary).toBeGreaterThanOrEqual(bytes.length - 16384)
  expect(done.utpWhileDownloading, summary).toBeGreaterThanOrEqual(1)
  expect(done.holepunches.started, summary).toBeGreaterThanOrEqual(1)
  // The others report every 500 ms: their line from before the leecher finished may predate the punch, so
  // wait (bounded) for a line that counts it; a punch that never happened still fails here.
  const counted = (c: Child, ok: (h: Stats['holepunches']) => boolean, what: string) =>
    until(
      () => {
        const h = lastStats(c)?.holepunches
        return h && ok(h) ? h : undefined
      },
      5_000,
      what,
    )
  await counted(relay, (h) => h.relayed >= 1, 'the relay to count the rendezvous it relayed')
  const seedPunches = await counted(seed, (h) => h.started >= 1, 'the seed to count its punch')
  // At least one of the two punches connected (each end dials; the first SYN through makes the connection).
  const punched = done.holepunches.connected + seedPunches.connected
  expect(punched, summary).toBeGreaterThanOrEqual(1)
})
