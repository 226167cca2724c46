import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { Client, type ConnectionEncryption, type StorageOptions, type Torrent } from '@p2p/swarm'
import { FAULT_KINDS, type FaultCount, type FaultKind, FaultPeer, type SimTorrent } from './fault-peer.js'
import { MemoryStorage } from './memory-storage.js'
import { SimNetwork } from './network.js'
import { Prng } from './prng.js'
import { banFailures, faultCounts, type Member, type SimBan, wrongBytes } from './simulate-checks.js'
import { simTorrent } from './torrent.js'
import { VirtualClock } from './virtual-clock.js'
import { drawWebSeeds, type SimWebSeed, simFetch, type WebSeedKind, webSeedFailures } from './web-seed.js'

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

/** Lets every promise the last event resolved run (the clients' async work between events). */
const settle = () => new Promise<void>((r) => setImmediate(r))

/**
 * Runs one seeded swarm on virtual time: an honest seed (that may leave and come back), leechers
 * (some joining late) and scripted faulty peers, all running the real `@p2p/swarm` code on
 * in-memory links. After every event each torrent's invariants are checked; at the end every leecher
 * must hold the exact bytes, and only peers that sent bad data may have been banned.
 */
export async function simulate(options: SimOptions): Promise<SimResult> {
  const run = new SimRun(options)
  await run.start()
  await run.runEvents()
  return run.result()
}

/** One run of {@link simulate}: what is drawn in order from its seed, and what it saw. */
class SimRun {
  readonly #options: SimOptions
  readonly #rng: Prng
  readonly #clock = new VirtualClock()
  readonly #net = new SimNetwork(this.#clock)
  readonly #torrent: ReturnType<typeof makeTorrent>
  readonly #webSeeds: SimWebSeed[]
  readonly #failures: string[] = []
  /** What the run was made of, in the order drawn. */
  readonly #setup: string[] = []
  /** Members that dial with MSE first, and at which level. */
  readonly #encrypted: string[] = []
  readonly #connections: Record<ConnectionEncryption, number> = { rc4: 0, 'plaintext-mse': 0, plain: 0 }
  readonly #bans: SimBan[] = []
  /** Pieces that failed while no corrupt peer or web seed could have sent them. */
  readonly #badFails: string[] = []
  readonly #faulty = new Map<string, FaultPeer>()
  readonly #seed: Member
  readonly #leechers: Member[] = []
  #hosts = 0
  #events = 0

  /** Draws the torrent, the web seeds and the cast: one honest seed, leechers, faulty peers. */
  constructor(options: SimOptions) {
    this.#options = options
    const rng = new Prng(options.seed)
    this.#rng = rng
    this.#torrent = makeTorrent(rng, options.pieces ?? [4, 32])
    this.#webSeeds = drawWebSeeds(
      this.#clock,
      rng,
      this.#torrent.content,
      options.webSeeds ?? 0,
      options.webSeedKinds,
    )
    this.#seed = { name: 'seed', addr: this.#nextAddr() }
    const nLeechers = options.leechers ?? rng.int(1, 3)
    for (let i = 0; i < nLeechers; i++) this.#leechers.push({ name: `leecher${i}`, addr: this.#nextAddr() })
    this.#drawFaultyPeers()
    const faulty = [...this.#faulty.values()].map((p) => `${p.kind}${p.fast ? '+fast' : ''}`)
    const torrent = this.#torrent
    this.#setup.push(
      `${torrent.pieceCount} pieces of ${torrent.pieceLength} B`,
      `${nLeechers} leechers`,
      `faulty: ${faulty.join(' ') || 'none'}`,
      ...(this.#webSeeds.length ? [`web seeds: ${this.#webSeeds.map((w) => w.kind).join(' ')}`] : []),
    )
  }

  /** The seed joins (and may be drawn to leave and come back), then each leecher, now or later. */
  async start(): Promise<void> {
    const { content } = this.#torrent
    const seed = this.#seed
    const rng = this.#rng
    await this.#join(seed, content, [])
    // The only seeder may leave and come back (with the same address).
    if (rng.chance(0.3)) {
      const away = rng.int(100, 5000)
      const back = away + rng.int(100, 20_000)
      this.#setup.push(`seed away ${away}..${back} ms`)
      const present = () => this.#leechers.filter((l) => l.torrent).map((l) => l.addr)
      this.#clock.setTimeout(() => void seed.client?.close(), away)
      this.#clock.setTimeout(() => void this.#join(seed, content, present()), back)
    }
    const faultAddrs = [...this.#faulty.values()].map((p) => p.addr)
    for (const [i, l] of this.#leechers.entries()) {
      // Everyone it may know of at its start: the seed, faulty peers, earlier leechers.
      const peers = [seed.addr, ...faultAddrs, ...this.#leechers.slice(0, i).map((o) => o.addr)]
      const at = i === 0 || rng.chance(0.5) ? 0 : rng.int(0, 10_000)
      if (at === 0) await this.#join(l, undefined, peers)
      else {
        this.#setup.push(`${l.name} joins at ${at} ms`)
        this.#clock.setTimeout(() => void this.#join(l, undefined, peers), at)
      }
    }
  }

  /**
   * Runs events until every leecher is complete, a failure, a stall or the virtual time limit,
   * checking every incomplete torrent's invariants after each event.
   */
  async runEvents(): Promise<void> {
    const clock = this.#clock
    const limit = this.#options.maxVirtualMs ?? 30 * 60_000
    await settle()
    while (!this.#leechers.every((l) => l.torrent?.complete) && this.#failures.length === 0) {
      const at = clock.nextAt()
      if (at === undefined) {
        this.#failures.push('nothing left to run (a stall)')
        break
      }
      if (at > limit) {
        this.#failures.push(`not done after ${limit} virtual ms: ${progress(this.#leechers)}`)
        break
      }
      clock.runNext()
      this.#events++
      await settle()
      this.#checkInvariants()
    }
  }

  /** The outcome: the end checks (bytes, web seeds, bans, failed pieces) added to the failures. */
  result(): SimResult {
    const failures = this.#failures
    const leechers = this.#leechers
    if (failures.length === 0) failures.push(...wrongBytes(leechers, this.#torrent.content))
    for (const l of leechers)
      if (l.torrent) failures.push(...webSeedFailures(l.name, l.torrent, this.#webSeeds))
    failures.push(...banFailures(this.#bans, this.#webSeeds, this.#faulty))
    failures.push(...this.#badFails)
    this.#setup.push(`MSE: ${this.#encrypted.join(' ') || 'none'}`)
    return {
      seed: this.#options.seed,
      ok: failures.length === 0,
      failures,
      events: this.#events,
      virtualMs: this.#clock.now(),
      setup: this.#setup.join(', '),
      connections: this.#connections,
      faults: faultCounts(this.#faulty.values()),
      webSeedBans: this.#bans.filter((b) => b.url).length,
      webSeedBytes: leechers.reduce(
        (n, l) => n + (l.torrent?.webSeeds.reduce((k, w) => k + w.downloaded, 0) ?? 0),
        0,
      ),
    }
  }

  #nextAddr(): PeerAddress {
    const hosts = this.#hosts++
    return { host: `127.77.${hosts >> 8}.${hosts & 255}`, port: PORT }
  }

  #drawFaultyPeers(): void {
    const options = this.#options
    const rng = this.#rng
    const kinds = options.faults ?? FAULT_KINDS
    const nFaulty = options.faultPeers ?? rng.int(0, 3)
    const torrent = this.#torrent
    const sim: SimTorrent = {
      infoHash: torrent.infoHash,
      pieceLength: torrent.pieceLength,
      pieceCount: torrent.pieceCount,
      content: torrent.content,
    }
    for (let i = 0; i < nFaulty; i++) {
      const addr = this.#nextAddr()
      const p = new FaultPeer(this.#net, rng, sim, addr, kinds.length ? rng.pick(kinds) : 'slow')
      this.#faulty.set(formatPeer(addr), p)
    }
  }

  /** A client for `m` on its own drawn link, half of them dialing with MSE first. */
  #newClient(m: Member, content?: Uint8Array): Client {
    const rng = this.#rng
    this.#net.setLink(m.addr.host, {
      latencyMs: rng.int(1, 40),
      bytesPerSecond: rng.pick([200_000, 1_000_000, 5_000_000]),
    })
    // Half the clients dial with MSE first (RC4, plaintext or either), on the run's clock and bytes.
    const encryption = rng.chance(0.5) ? 'enabled' : 'disabled'
    const encryptionLevel = rng.pick(['both', 'rc4', 'plaintext'] as const)
    if (encryption === 'enabled') this.#encrypted.push(`${m.name} ${encryptionLevel}`)
    const client = new Client({
      host: m.addr.host,
      port: m.addr.port,
      peerId: rng.bytes(20),
      encryption,
      encryptionLevel,
      runtime: {
        clock: this.#clock,
        random: () => rng.next(),
        randomBytes: (n) => rng.bytes(n),
        transport: this.#net.transport(m.addr.host),
        fetch: simFetch(this.#webSeeds),
        storage: (o: StorageOptions) => {
          m.storage = new MemoryStorage(o, content)
          return m.storage
        },
        prepareDir: async () => {},
        checks: true,
      },
    })
    client.on('error', (e) => this.#failures.push(`${m.name}: client error ${e.message}`))
    return client
  }

  /** `m` joins with a new client (a drawn piece-buffer bound), knowing `peers`. */
  async #join(m: Member, content: Uint8Array | undefined, peers: PeerAddress[]): Promise<void> {
    m.client = this.#newClient(m, content)
    // A small memory bound (a few pieces) makes a leaked piece buffer stop the download.
    const drawn = this.#rng.chance(0.5) ? this.#rng.int(1, 3) : undefined
    const pieces = this.#options.bufferedPieces ?? drawn
    const maxBufferedBytes = pieces === undefined ? undefined : this.#torrent.pieceLength * pieces
    const t = await m.client.add(this.#torrent.file, {
      path: `/sim/${m.name}`,
      resume: false,
      peers,
      maxBufferedBytes,
      webSeeds: this.#webSeeds.map((w) => w.url),
    })
    m.torrent = t
    this.#follow(m, t)
  }

  /** Counts `t`'s connections by encryption, and notes its bans, errors and suspect failed pieces. */
  #follow(m: Member, t: Torrent): void {
    const corruptWebSeed = this.#webSeeds.some((w) => w.kind === 'corrupt')
    t.on('wire', (_wire, address) => {
      const c = t.connections().find((k) => formatPeer(k.address) === formatPeer(address))
      if (c) this.#connections[c.encryption]++
    })
    t.on('ban', (e) => this.#bans.push({ by: m.name, peer: formatPeer(e.peer), url: e.url }))
    t.on('error', (e) => this.#failures.push(`${m.name}: ${e.message}`))
    t.on('piece', (e) => {
      // A piece a web seed sent alone has no peers: a corrupt web seed may have sent it.
      const webSent = e.peers.length === 0 && corruptWebSeed
      if (!e.ok && !webSent && !e.peers.some((p) => this.#faulty.get(formatPeer(p))?.kind === 'corrupt')) {
        this.#badFails.push(
          `${m.name}: piece ${e.index} failed with no corrupt sender (${e.peers.map(formatPeer).join(', ')})`,
        )
      }
    })
  }

  /** Checks the invariants of every member's torrent still downloading (a failure per broken one). */
  #checkInvariants(): void {
    for (const m of [this.#seed, ...this.#leechers]) {
      try {
        if (m.client && !m.torrent?.complete) m.torrent?.checkInvariants()
      } catch (err) {
        this.#failures.push(
          `after event ${this.#events} at ${this.#clock.now()} ms: ${(err as Error).message}`,
        )
      }
    }
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
