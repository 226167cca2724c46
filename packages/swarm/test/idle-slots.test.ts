import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { peerPriority } from '@p2p/peer-address'
import { encodeHandshake } from '@p2p/peer-wire'
import type { Client, Torrent } from '@p2p/swarm'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-slots-', { hashThreads: 1 })

/**
 * Raw TCP connections to `target` from loopback addresses `from` (one each, `perHost` per address) that
 * handshake for `infoHash` (none: they send nothing) and then send only keep-alives, as the finding's
 * attacker: they hold connection slots and never do anything useful. With `reconnect`, a connection
 * that is dropped is opened again 100 ms later.
 */
function idlers(
  target: { host: string; port: number },
  from: string[],
  infoHash: Uint8Array | undefined,
  { perHost = 1, reconnect = true } = {},
): { accepted: () => number } {
  let stopped = false
  let accepted = 0
  const sockets = new Set<Socket>()
  const open = (host: string) => {
    if (stopped) return
    const socket = connect({ ...target, localAddress: host })
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('connect', () => {
      if (infoHash) socket.write(encodeHandshake({ infoHash, peerId: randomBytes(20), fast: true }))
    })
    // The other side answered the handshake: it attached the connection to the torrent.
    socket.once('data', () => accepted++)
    const keepAlive = setInterval(() => socket.write(Buffer.alloc(4)), 1_000)
    socket.on('close', () => {
      clearInterval(keepAlive)
      sockets.delete(socket)
      if (reconnect) setTimeout(() => open(host), 100)
    })
  }
  for (const host of from) for (let i = 0; i < perHost; i++) open(host)
  onCleanup(async () => {
    stopped = true
    for (const s of sockets) s.destroy()
  })
  return { accepted: () => accepted }
}

/** `n` loopback addresses that outrank `self`'s connections from 127.0.0.1 under BEP 40 (most of the time). */
function topRanked(self: { host: string; port: number }, n: number): string[] {
  const hosts = Array.from({ length: 250 * 250 }, (_, i) => `127.0.${(i / 250) | 0}.${(i % 250) + 3}`)
  return hosts
    .map((host) => ({ host, rank: peerPriority(self, { host, port: 1 }) }))
    .sort((a, b) => b.rank - a.rank)
    .slice(0, n)
    .map((x) => x.host)
}

async function seeder(options: Parameters<Client['seed']>[1]): Promise<{ c: Client; t: Torrent }> {
  const src = await dir()
  await writeContent(src, { 's/a.bin': 300_000 })
  const c = client()
  const t = await c.seed(join(src, 's'), { version: 1, pieceLength: 16384, ...options })
  return { c, t }
}

describe('connection slots against idle connections (issue 21, finding 6)', () => {
  it('one IP holds at most maxConnectionsPerIp of a torrent, and a leecher gets in', async () => {
    const { c, t } = await seeder({ maxConnections: 6, limitLoopback: true })
    const flood = idlers(local(c), ['127.0.0.2'], t.infoHashBytes, { perHost: 10 })
    await waitFor(() => flood.accepted() > 0 || undefined, 10_000, 'an idle connection accepted')
    const leecher = client()
    const lt = await leecher.add(t.metainfo!, { path: await dir(), resume: false, peers: [local(c)] })
    await doneWithin(lt, 20_000)
    const fromFlood = t.connections().filter((x) => x.address.host === '127.0.0.2')
    expect(fromFlood.length).toBeLessThanOrEqual(1)
  })

  it('a seeder full of idle connections from many IPs closes the idlest for a newcomer', async () => {
    const { c, t } = await seeder({ maxConnections: 4, idleTimeout: 300 })
    // They stay (a connection dropped is not opened again): idle connections holding every slot.
    const flood = idlers(local(c), topRanked(local(c), 4), t.infoHashBytes, { reconnect: false })
    await waitFor(() => flood.accepted() >= 4 || undefined, 10_000, 'idle connections in every slot')
    const leecher = client()
    const lt = await leecher.add(t.metainfo!, { path: await dir(), resume: false, peers: [local(c)] })
    await doneWithin(lt, 20_000)
  })

  it('incoming connections cannot take the slots kept for the peers a torrent dials', async () => {
    const { c: sc, t: st } = await seeder({})
    const leecher = client()
    const lt = await leecher.add(st.metainfo!, { path: await dir(), resume: false, maxConnections: 5 })
    // Incoming idlers that outrank the seeder fill every slot of the leecher's torrent first.
    const flood = idlers(local(leecher), topRanked(local(leecher), 10), lt.infoHashBytes)
    await waitFor(() => flood.accepted() >= 5 || undefined, 10_000, 'idle connections in every slot')
    lt.addPeer(local(sc))
    await doneWithin(lt, 20_000)
  })

  it('handshaking connections cannot take the slots a client keeps for dialling', async () => {
    const { c: sc, t: st } = await seeder({})
    const leecher = client({ maxConnections: 6 })
    const lt = await leecher.add(st.metainfo!, { path: await dir(), resume: false })
    // Connections that never send a byte: they are still handshaking when the peer is added.
    idlers(local(leecher), ['127.0.0.2'], undefined, { perHost: 10 })
    await new Promise((r) => setTimeout(r, 500))
    lt.addPeer(local(sc))
    await doneWithin(lt, 15_000)
  })
})
