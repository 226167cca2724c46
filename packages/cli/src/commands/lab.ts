import { LabError, MAX_SIM_PEERS, PIECE_MODEL_ABOVE, runLab, runSimulation, scenarios } from '@p2p/lab'
import { type Command, type CommandIo, choiceFlag, type ParsedFlags, parseFlags } from '../command.js'
import { CliError } from '../errors.js'

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gib: 2 ** 30,
}

/** Parses `64MiB`, `512k`, `1048576` into bytes. */
function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined)
    throw new CliError('CLI_USAGE', `--size expects e.g. 64MiB, got ${JSON.stringify(text)}`)
  return Math.round(Number(m[1]) * unit)
}

/** Parses `2,5,10` (each 1..max). */
function parsePeers(text: string, max = 50): number[] {
  const peers = text.split(',').map((s) => Number(s.trim()))
  if (peers.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new CliError(
      'CLI_USAGE',
      `--peers expects integers 1..${max} like 2,5,10, got ${JSON.stringify(text)}`,
    )
  }
  return peers
}

/** Parses a rate in Mbit/s into bytes per second. */
function parseMbit(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!(n > 0)) throw new CliError('CLI_USAGE', `--${name} expects Mbit/s > 0, got ${JSON.stringify(text)}`)
  return (n * 1e6) / 8
}

/** `p2p lab`: runs the swarm lab scenarios and writes report.html and events.jsonl. */
export const lab: Command = {
  summary: 'swarm lab: scaling, seeders, churn, piece selection, NAT, integrity, LAN; HTML report',
  usage: `usage: p2p lab [--scenario <name>|all] [--peers 2,5,10] [--size 64MiB] [--out dir]
               [--up 20] [--down 50] [--impl ours,libtorrent] [--no-netns] [--super-seed]
               [--discovery tracker|direct] [--tracker-protocol http|udp] [--repeats 3]
       p2p lab --simulate [--peers 100,1000,10000] [--size 4MiB] [--pieces N] [--model auto|wire|piece]
                      [--out dir]

Runs swarm experiments on emulated hosts (network namespaces with tc caps when root on Linux,
else 127.0.0.1 with the peers' own rate limits) and writes <out>/report.html and <out>/events.jsonl.
Scenarios: ${Object.keys(scenarios).join(', ')}.
  --up/--down   per-peer caps in Mbit/s (default 20 up, 50 down)
  --impl        peer implementations (default: ours when available, and libtorrent)
  --no-netns    use the loopback fallback even as root
  --super-seed  a lone seeder super-seeds (BEP 16), ours and libtorrent alike (default: normal seeding)
  --discovery   tracker: peers announce to our tracker on its own host (default); direct: the lab
                tells each peer the others' addresses
  --tracker-protocol  the lab tracker's protocol (default http)
  --repeats     runs of each swarm (default 3): tables show median (min–max); a bar is PASS or MISS
                only when every run agrees, else INCONCLUSIVE
  --simulate    no hosts: the real swarm on @p2p/sim's virtual clock (see --model), N up to
                ${MAX_SIM_PEERS}, links drawn from measured capacities; flash crowd and Poisson
                arrivals with churn and 1/2/4/8 seeders per N; same report
  --pieces      pieces of the simulated file, each carried as one 16 KiB block standing for a
                whole piece (default size/16 KiB, at most 256)
  --model       wire: a full client per peer; piece: @p2p/sim's piece-level model (the real picker
                and choker per peer, no wire); auto (default): piece above N = ${PIECE_MODEL_ABOVE}`,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        scenario: { type: 'string', default: 'all' },
        peers: { type: 'string' },
        size: { type: 'string' },
        out: { type: 'string', default: 'lab-out' },
        up: { type: 'string' },
        down: { type: 'string' },
        impl: { type: 'string' },
        'no-netns': { type: 'boolean', default: false },
        'super-seed': { type: 'boolean', default: false },
        discovery: { type: 'string', default: 'tracker' },
        'tracker-protocol': { type: 'string', default: 'http' },
        repeats: { type: 'string', default: '3' },
        simulate: { type: 'boolean', default: false },
        pieces: { type: 'string' },
        model: { type: 'string', default: 'auto' },
      },
      false,
    )
    return values.simulate ? await simulate(values, argv, io) : await onHosts(values, argv, io)
  },
}

/** Runs `work`, then 0; a LabError becomes the CliError of its kind. */
async function labOutcome(work: () => Promise<void>): Promise<number> {
  try {
    await work()
    return 0
  } catch (err) {
    if (err instanceof LabError) {
      const code =
        err.code === 'LAB_UNKNOWN_SCENARIO' || err.code === 'LAB_BAD_OPTION' ? 'CLI_USAGE' : 'CLI_FAILED'
      throw new CliError(code, err.message, { cause: err })
    }
    throw err
  }
}

type LabFlags = ParsedFlags['values']

/** `p2p lab --simulate`: the swarm on @p2p/sim's virtual clock. */
async function simulate(values: LabFlags, argv: string[], io: CommandIo): Promise<number> {
  const pieces = values.pieces === undefined ? undefined : Number(values.pieces)
  if (pieces !== undefined && (!Number.isInteger(pieces) || pieces < 2))
    throw new CliError('CLI_USAGE', `--pieces expects an integer >= 2, got ${JSON.stringify(values.pieces)}`)
  const model = choiceFlag('model', values.model, ['auto', 'wire', 'piece'] as const) ?? 'auto'
  return await labOutcome(async () => {
    const r = await runSimulation({
      model,
      peers: values.peers ? parsePeers(String(values.peers), MAX_SIM_PEERS) : undefined,
      size: values.size === undefined ? undefined : parseSize(String(values.size)),
      pieces,
      out: String(values.out),
      command: ['p2p', 'lab', ...argv].join(' '),
      onNote: (l) => io.stderr.write(`lab: ${l}\n`),
      onLine: (l) => io.stdout.write(`${l}\n`),
    })
    io.stdout.write(`hosts: simulation\nreport: ${r.reportPath}\nevents: ${r.eventsPath}\n`)
    if (r.pdfPath) io.stdout.write(`pdf: ${r.pdfPath}\n`)
  })
}

/** `p2p lab`: the scenarios on emulated hosts (network namespaces, or the loopback fallback). */
async function onHosts(values: LabFlags, argv: string[], io: CommandIo): Promise<number> {
  const scenario = String(values.scenario)
  const impls = values.impl ? String(values.impl).split(',') : undefined
  if (impls?.some((i) => i !== 'ours' && i !== 'libtorrent')) {
    throw new CliError(
      'CLI_USAGE',
      `--impl expects ours and/or libtorrent, got ${JSON.stringify(values.impl)}`,
    )
  }
  const discovery = choiceFlag('discovery', values.discovery, ['tracker', 'direct'] as const) ?? 'tracker'
  const trackerProtocol =
    choiceFlag('tracker-protocol', values['tracker-protocol'], ['http', 'udp'] as const) ?? 'http'
  const repeats = Number(values.repeats)
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20)
    throw new CliError(
      'CLI_USAGE',
      `--repeats expects an integer 1..20, got ${JSON.stringify(values.repeats)}`,
    )
  return await labOutcome(async () => {
    const r = await runLab({
      scenarios: scenario === 'all' ? 'all' : scenario.split(','),
      peers: parsePeers(String(values.peers ?? '2,5,10')),
      size: parseSize(String(values.size ?? '64MiB')),
      out: String(values.out),
      up: parseMbit('up', values.up as string | undefined),
      down: parseMbit('down', values.down as string | undefined),
      impls: impls as ('ours' | 'libtorrent')[] | undefined,
      network: values['no-netns'] ? 'loopback' : 'auto',
      superSeed: values['super-seed'] === true,
      discovery,
      trackerProtocol,
      repeats,
      command: ['p2p', 'lab', ...argv].join(' '),
      signal: io.signal,
      onNote: (l) => io.stderr.write(`lab: ${l}\n`),
      onLine: (l) => io.stdout.write(`${l}\n`),
    })
    io.stdout.write(`hosts: ${r.mode}\nreport: ${r.reportPath}\nevents: ${r.eventsPath}\n`)
    if (r.pdfPath) io.stdout.write(`pdf: ${r.pdfPath}\n`)
  })
}
