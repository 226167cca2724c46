import { fileURLToPath } from 'node:url'
import {
  type BridgeLab,
  type Child,
  COMPONENTS,
  DEBIAN_PYTHON,
  requireBuilt,
  requireComponents,
  spawnChild,
  startBridgeLab,
  tempDir,
  waitFor,
} from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

const LT_NODE = fileURLToPath(new URL('./lt-lsd-node.py', import.meta.url))
const CHILD = fileURLToPath(new URL('./lsd-child.mjs', import.meta.url))

let lab: BridgeLab | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
const children: Child[] = []

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(2000)))
  await lab?.close()
  await dir?.remove()
}, 20_000)

type Line = { event: string; [key: string]: unknown }
const lines = (child: Child): Line[] =>
  child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line)

it('finds libtorrent through LSD and libtorrent finds us, both hashes of a hybrid torrent', {
  timeout: 60_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the LSD interop test needs root in CI')
    ctx.skip('network namespaces need root')
  }
  requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/nat')
  dir = await tempDir('p2p-nat-lsd-')
  lab = await startBridgeLab('natd', 2)
  const [theirs, ours] = lab.hosts as [BridgeLab['hosts'][0], BridgeLab['hosts'][0]]

  const lt = spawnChild('ip', [
    'netns',
    'exec',
    theirs.netns,
    DEBIAN_PYTHON,
    LT_NODE,
    theirs.ip,
    dir.path,
    '50',
  ])
  children.push(lt)
  const torrent = await waitFor(
    () => lines(lt).find((l) => l.event === 'torrent'),
    20_000,
    `libtorrent torrent (output: ${lt.output()})`,
  )
  const v1 = torrent.v1 as string
  const v2 = torrent.v2 as string
  expect(v1).not.toBe(v2)

  const port = 6881
  const node = spawnChild('ip', [
    'netns',
    'exec',
    ours.netns,
    process.execPath,
    CHILD,
    JSON.stringify({ port, infoHashes: [v1, v2], interfaceAddress: ours.ip }),
  ])
  children.push(node)

  // libtorrent -> us: its announces name it under both hashes of the hybrid torrent.
  const learnt = await waitFor(
    () => {
      const peers = lines(node).filter((l) => l.event === 'peer' && l.host === theirs.ip && l.port === 6881)
      const hashes = new Set(peers.map((p) => p.infoHash))
      return hashes.has(v1) && hashes.has(v2) ? peers : undefined
    },
    30_000,
    `our LSD learning libtorrent's peer (ours: ${node.output()})`,
  )
  expect(learnt.length).toBeGreaterThanOrEqual(2)

  // us -> libtorrent: with no tracker, DHT or PEX, only our announce can make it dial us, with the handshake.
  const dialled = await waitFor(
    () => lines(lt).find((l) => l.event === 'peer_connect_alert' && String(l.peer).includes(ours.ip)),
    30_000,
    `libtorrent learning our announce (libtorrent: ${lt.output()})`,
  )
  expect(String(dialled.message)).toContain('outgoing')
  const handshake = await waitFor(
    () => lines(node).find((l) => l.event === 'handshake' && l.from === theirs.ip),
    30_000,
    `libtorrent dialling us (ours: ${node.output()})`,
  )
  expect([v1, v2]).toContain(handshake.infoHash)
  // Our own announces come back over multicast loopback; the cookie keeps them out.
  expect(lines(node).some((l) => l.event === 'peer' && l.host === ours.ip)).toBe(false)
})
