import { equalBytes } from '@p2p/bytes'
import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { Client, type ConnectionEncryption, type StorageOptions, type Torrent } from '@p2p/swarm'
import { FAULT_KINDS, type FaultCount, type FaultKind, FaultPeer, type SimTorrent } from './fault-peer.js'
import { MemoryStorage } from './memory-storage.js'
import { SimNetwork } from './network.js'
import { Prng } from './prng.js'
import { simTorrent } from './torrent.js'
import { VirtualClock } from './virtual-clock.js'
import { drawWebSeeds, simFetch, type WebSeedKind, webSeedFailures } from './web-seed.js'

/** Options of {@link simulate}. */
export interface SimOptions {
  /** The seed every choice of the run is drawn from. */
  seed: number
  /** Leechers (real swarm clients). Default: drawn, 1..3. */
  leechers?: number
  /** Scripted faulty peers. Default: drawn, 0..3. */
  faultPeers?: number
  /** Fault kinds to draw from. Default: all of {@link FAULT_KINDS}. */
  faults?: readonly FaultKind[]
  /**
   * Smallest and largest piece count drawn. Default [4, 32]: enough pieces that downloads run outside
   * the endgame (where blocks are not written in place) for part of the time.
   */
  pieces?: [number, number]
  /** Simulated HTTP web seeds (BEP 19) every client is given. Default 0. */
  webSeeds?: number
  /** Web seed behaviours to draw from. Default: all of `WEB_SEED_KINDS`. */
  webSeedKinds?: readonly WebSeedKind[]
  /**
   * Every client's bound on piece buffers (`maxBufferedBytes`), in pieces. Default: drawn, none for
   * half of the clients, else 1..3 pieces.
   */
  bufferedPieces?: number
  /** Give up (a stall) after this much virtual time, ms. Default 30 minutes. */
  maxVirtualMs?: number
}

/** The outcome of one run. */
export interface SimResult {
  seed: number
  /** True when every invariant held and every leecher finished with the right bytes. */
  ok: boolean
  /** What went wrong (empty when ok). */
  failures: string[]
  /** Events run (timers and deliveries). */
  events: number
  /** Virtual time at the end, ms. */
  virtualMs: number
  /** What the run was made of, for the report. */
  setup: string
  /** Handshaken connections between clients by how they were carried (RC4, plaintext after MSE, plain). */
  connections: Record<ConnectionEncryption, number>
  /** Per fault kind drawn: handshakes the scripted peers completed and faults they committed. */
  faults: Partial<Record<FaultKind, FaultCount>>
  /** Web seeds banned, summed over the leechers. */
  webSeedBans: number
  /** Payload bytes the leechers received from web seeds. */
  webSeedBytes: number
}

/** Listening port of every simulated host. */
const PORT = 6881
/** Block size of the piece sizes drawn (pieces are 1..2 blocks). */
const BLOCK = 16_384

interface Member {
  name: string
  addr: PeerAddress
  client?: Client
  torrent?: Torrent
  storage?: MemoryStorage
}

/**
 * Runs one seeded swarm on virtual time: an honest seed (that may leave and come back), leechers
 * (some joining late) and scripted faulty peers, all running the real `@p2p/swarm` code on
 * in-memory links. After every event each torrent's invariants are checked; at the end every leecher
 * must hold the exact bytes, and only peers that sent bad data may have been banned.
 */
export async function simulate(options: SimOptions): Promise<SimResult> {
  const rng = new Prng(options.seed)
  const clock = new VirtualClock()
  const net = new SimNetwork(clock)
  const failures: string[] = []
  const torrent = makeTorrent(rng, options.pieces ?? [4, 32])
  const torrentBytes = torrent.file
  const limit = options.maxVirtualMs ?? 30 * 60_000
  let hosts = 0
  const webSeeds = drawWebSeeds(clock, rng, torrent.content, options.webSeeds ?? 0, options.webSeedKinds)
  const corruptWebSeed = webSeeds.some((w) => w.kind === 'corrupt')
  const nextAddr = (): PeerAddress => ({ host: `127.77.${hosts >> 8}.${hosts++ & 255}`, port: PORT })

  const encrypted: string[] = []
  const connections: Record<ConnectionEncryption, number> = { rc4: 0, 'plaintext-mse': 0, plain: 0 }
  const newClient = (m: Member, content?: Uint8Array): Client => {
    net.setLink(m.addr.host, {
      latencyMs: rng.int(1, 40),
      bytesPerSecond: rng.pick([200_000, 1_000_000, 5_000_000]),
    })
    // Half the clients dial with MSE first (RC4, plaintext or either), on the run's clock and bytes.
    const encryption = rng.chance(0.5) ? 'enabled' : 'disabled'
    const encryptionLevel = rng.pick(['both', 'rc4', 'plaintext'] as const)
    if (encryption === 'enabled') encrypted.push(`${m.name} ${encryptionLevel}`)
    const client = new Client({
      host: m.addr.host,
      port: m.addr.port,
      peerId: rng.bytes(20),
      encryption,
      encryptionLevel,
      runtime: {
        clock,
        random: () => rng.next(),
        randomBytes: (n) => rng.bytes(n),
        transport: net.transport(m.addr.host),
        fetch: simFetch(webSeeds),
        storage: (o: StorageOptions) => {
          m.storage = new MemoryStorage(o, content)
          return m.storage
        },
        prepareDir: async () => {},
        checks: true,
      },
    })
    client.on('error', (e) => failures.push(`${m.name}: client error ${e.message}`))
    return client
  }

  const bans: { by: string; peer: string; url?: string }[] = []
  const badFails: string[] = []
  const faulty = new Map<string, FaultPeer>()
  const join = async (m: Member, content: Uint8Array | undefined, peers: PeerAddress[]) => {
    m.client = newClient(m, content)
    // A small memory bound (a few pieces) makes a leaked piece buffer stop the download.
    const drawn = rng.chance(0.5) ? rng.int(1, 3) : undefined
    const pieces = options.bufferedPieces ?? drawn
    const maxBufferedBytes = pieces === undefined ? undefined : torrent.pieceLength * pieces
    const t = await m.client.add(torrentBytes, {
      path: `/sim/${m.name}`,
      resume: false,
      peers,
      maxBufferedBytes,
      webSeeds: webSeeds.map((w) => w.url),
    })
    m.torrent = t
    t.on('wire', (_wire, address) => {
      const c = t.connections().find((k) => formatPeer(k.address) === formatPeer(address))
      if (c) connections[c.encryption]++
    })
    t.on('ban', (e) => bans.push({ by: m.name, peer: formatPeer(e.peer), url: e.url }))
    t.on('error', (e) => failures.push(`${m.name}: ${e.message}`))
    t.on('piece', (e) => {
      // A piece a web seed sent alone has no peers: a corrupt web seed may have sent it.
      const webSent = e.peers.length === 0 && corruptWebSeed
      if (!e.ok && !webSent && !e.peers.some((p) => faulty.get(formatPeer(p))?.kind === 'corrupt')) {
        badFails.push(
          `${m.name}: piece ${e.index} failed with no corrupt sender (${e.peers.map(formatPeer).join(', ')})`,
        )
      }
    })
  }

  // The cast: one honest seed, leechers, faulty peers.
  const seed: Member = { name: 'seed', addr: nextAddr() }
  const leechers: Member[] = []
  const nLeechers = options.leechers ?? rng.int(1, 3)
  for (let i = 0; i < nLeechers; i++) leechers.push({ name: `leecher${i}`, addr: nextAddr() })
  const kinds = options.faults ?? FAULT_KINDS
  const nFaulty = options.faultPeers ?? rng.int(0, 3)
  const sim: SimTorrent = {
    infoHash: torrent.infoHash,
    pieceLength: torrent.pieceLength,
    pieceCount: torrent.pieceCount,
    content: torrent.content,
  }
  for (let i = 0; i < nFaulty; i++) {
    const addr = nextAddr()
    const p = new FaultPeer(net, rng, sim, addr, kinds.length ? rng.pick(kinds) : 'slow')
    faulty.set(formatPeer(addr), p)
  }
  const faultAddrs = [...faulty.values()].map((p) => p.addr)
  const setup = [
    `${torrent.pieceCount} pieces of ${torrent.pieceLength} B`,
    `${nLeechers} leechers`,
    `faulty: ${[...faulty.values()].map((p) => `${p.kind}${p.fast ? '+fast' : ''}`).join(' ') || 'none'}`,
    ...(webSeeds.length ? [`web seeds: ${webSeeds.map((w) => w.kind).join(' ')}`] : []),
  ]

  await join(seed, torrent.content, [])
  // The only seeder may leave and come back (with the same address).
  if (rng.chance(0.3)) {
    const away = rng.int(100, 5000)
    const back = away + rng.int(100, 20_000)
    setup.push(`seed away ${away}..${back} ms`)
    clock.setTimeout(() => void seed.client?.close(), away)
    clock.setTimeout(
      () =>
        void join(
          seed,
          torrent.content,
          leechers.filter((l) => l.torrent).map((l) => l.addr),
        ),
      back,
    )
  }
  for (const [i, l] of leechers.entries()) {
    // Everyone it may know of at its start: the seed, faulty peers, earlier leechers.
    const peers = [seed.addr, ...faultAddrs, ...leechers.slice(0, i).map((o) => o.addr)]
    const at = i === 0 || rng.chance(0.5) ? 0 : rng.int(0, 10_000)
    if (at === 0) await join(l, undefined, peers)
    else {
      setup.push(`${l.name} joins at ${at} ms`)
      clock.setTimeout(() => void join(l, undefined, peers), at)
    }
  }

  let events = 0
  const settle = () => new Promise<void>((r) => setImmediate(r))
  const done = () => leechers.every((l) => l.torrent?.complete)
  await settle()
  while (!done() && failures.length === 0) {
    const at = clock.nextAt()
    if (at === undefined) {
      failures.push('nothing left to run (a stall)')
      break
    }
    if (at > limit) {
      failures.push(`not done after ${limit} virtual ms: ${progress(leechers)}`)
      break
    }
    clock.runNext()
    events++
    await settle()
    for (const m of [seed, ...leechers]) {
      try {
        if (m.client && !m.torrent?.complete) m.torrent?.checkInvariants()
      } catch (err) {
        failures.push(`after event ${events} at ${clock.now()} ms: ${(err as Error).message}`)
      }
    }
  }
  if (failures.length === 0) {
    for (const l of leechers) {
      const bytes = l.storage?.bytes
      if (!bytes || !equalBytes(bytes.subarray(0, torrent.content.length), torrent.content)) {
        failures.push(`${l.name} finished with wrong bytes`)
      }
    }
  }
  for (const l of leechers) if (l.torrent) failures.push(...webSeedFailures(l.name, l.torrent, webSeeds))
  for (const b of bans) {
    const kind = b.url ? webSeeds.find((w) => w.url === b.url)?.kind : faulty.get(b.peer)?.kind
    if (kind !== 'corrupt') failures.push(`${b.by} banned ${b.peer}, which sent no bad data`)
  }
  failures.push(...badFails)
  setup.push(`MSE: ${encrypted.join(' ') || 'none'}`)
  const faults: Partial<Record<FaultKind, FaultCount>> = {}
  for (const p of faulty.values()) {
    const c = faults[p.kind] ?? { handshakes: 0, faults: 0 }
    faults[p.kind] = c
    c.handshakes += p.count.handshakes
    c.faults += p.count.faults
  }
  return {
    seed: options.seed,
    ok: failures.length === 0,
    failures,
    events,
    virtualMs: clock.now(),
    setup: setup.join(', '),
    connections,
    faults,
    webSeedBans: bans.filter((b) => b.url).length,
    webSeedBytes: leechers.reduce(
      (n, l) => n + (l.torrent?.webSeeds.reduce((k, w) => k + w.downloaded, 0) ?? 0),
      0,
    ),
  }
}

function progress(members: Member[]): string {
  return members.map((m) => `${m.name} ${Math.round((m.torrent?.stats().progress ?? 0) * 100)}%`).join(', ')
}

/** A single-file v1 torrent of random bytes (size and piece length drawn). */
function makeTorrent(rng: Prng, [min, max]: [number, number]) {
  const pieceLength = BLOCK * rng.int(1, 2)
  const pieceCount = rng.int(min, max)
  const length = pieceLength * (pieceCount - 1) + rng.int(1, pieceLength)
  return { ...simTorrent(rng.bytes(length), pieceLength), pieceLength, pieceCount }
}
