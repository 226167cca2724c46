import type { Fixture } from '../fixture.js'
import { formatShare, gapClosed, type Share, tradingRecovered } from '../nat-recovery.js'
import type { HostKind } from '../netns.js'
import { ROUTER_WAN_IPS } from '../netns.js'
import type { PeerTransport } from '../peer-process.js'
import { barLine, formatSpread, median, type Spread, spread } from '../repeats.js'
import {
  type ChartSpec,
  leecherTimes,
  mean,
  progressChart,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
  type TableSpec,
} from '../scenario.js'
import type { RunResult } from '../swarm-types.js'

/** One way the NATed leechers sit in the network. */
interface Variant {
  name: string
  kind: HostKind
  /** Transports of every peer of the run (undefined: each implementation's default). */
  transports?: PeerTransport[]
  /** Needs a router (network namespaces): the loopback fallback cannot emulate it. */
  netnsOnly?: boolean
  /** Our peers only. */
  oursOnly?: boolean
}

/**
 * Variants: everyone public (baseline); NATed leechers without traversal (TCP only: with uTP, two NATed
 * peers dialing each other at the same moment punch through by accident); with port mapping on a
 * miniupnpd router (ours: UPnP IGD / NAT-PMP / PCP, libtorrent: its own UPnP and NAT-PMP); with BEP 55
 * holepunching over uTP through a public relay (ours; libtorrent with uTP on runs its own ut_holepunch);
 * and firewalled leechers that accept nothing (TCP only, the firewall drops TCP SYNs).
 */
const VARIANTS: Variant[] = [
  { name: 'public', kind: 'public' },
  { name: 'nat', kind: 'nat', transports: ['tcp'] },
  { name: 'nat+port mapping', kind: 'upnp', netnsOnly: true },
  { name: 'nat+holepunch', kind: 'nat', transports: ['tcp', 'utp'], netnsOnly: true },
  { name: 'firewalled', kind: 'firewalled', transports: ['tcp'], oursOnly: true },
]

/**
 * The seeder uploads at this fraction of a peer's cap (no faster than a peer): with one public leecher,
 * k NATed ones that cannot trade among themselves need at least k·F / (u_seed + u) against about
 * F / u_seed for the whole swarm when they can, so their upload decides the swarm's time.
 */
const SEEDER_SHARE = 1

/** What one run says about its NATed leechers. */
interface NatFacts {
  completion?: number
  /**
   * Mean time from a leecher's start to its last piece, when every leecher finished: the lab starts
   * hosts one by one (seconds apart on a loaded machine), which the swarm completion time includes.
   */
  download?: number
  /** Bytes the NATed leechers uploaded. */
  hiddenUp: number
  /** Connections between two NATed leechers, counted at each end. */
  natToNat: number
  /**
   * Bytes the leechers after L0 (NATed except in the public variant) downloaded from each other: a
   * NATed leecher's peer seen at a NAT router's WAN address, or, all public, at another's own address.
   */
  natFromNat: number
  /** BEP 55 punches our peers started; libtorrent's peers: connections it flags as holepunched. */
  punches: number
  /** Ours: the punches that connected. */
  punched: number
}

/** The last `progress` event of each peer of a run. */
function lastProgress(ctx: ScenarioContext, run: string): Map<string, Record<string, unknown>> {
  const last = new Map<string, Record<string, unknown>>()
  for (const e of ctx.log.of(run, 'progress')) last.set(e.peer ?? '?', e as Record<string, unknown>)
  return last
}

const ipOf = (address: string) => address.slice(0, address.lastIndexOf(':'))

/**
 * Counts from the peers' own reports: a NATed leecher's peer whose address is a NAT router's WAN address
 * is another NATed leecher (public peers are seen under their own address). In the all-public run the
 * same leecher positions (every leecher but L0) are matched by their hosts' addresses instead, when
 * the hosts have distinct addresses (namespaces; on loopback they all share 127.0.0.1).
 */
function natFacts(ctx: ScenarioContext, r: RunResult): NatFacts {
  const last = lastProgress(ctx, r.run)
  const allPublic = r.peers.every((p) => p.kind === 'public')
  const hidden = r.peers.filter(
    (p) => p.role === 'leecher' && (allPublic ? p.name !== 'L0' : p.kind !== 'public'),
  )
  const started = new Map(ctx.log.of(r.run, 'peer-start').map((e) => [e.peer, ipOf(String(e.address))]))
  const ips = [...started.values()]
  const hiddenIps = new Set(hidden.map((p) => started.get(p.name)))
  const isHidden = allPublic
    ? (ip: string) => new Set(ips).size === ips.length && hiddenIps.has(ip)
    : (ip: string) => ROUTER_WAN_IPS.includes(ip)
  const facts: NatFacts = {
    completion: r.completion,
    download: r.allDone ? mean(leecherTimes(r)) : undefined,
    hiddenUp: hidden.reduce((a, p) => a + p.uploaded, 0),
    natToNat: 0,
    natFromNat: 0,
    punches: 0,
    punched: 0,
  }
  for (const p of r.peers) {
    const e = last.get(p.name)
    const hp = e?.holepunches as { started?: number; connected?: number } | undefined
    facts.punches += r.impl === 'ours' ? Number(hp?.started ?? 0) : Number(e?.holepunched ?? 0)
    facts.punched += Number(hp?.connected ?? 0)
    if (!hidden.includes(p)) continue
    for (const [addr, bytes] of Object.entries((e?.from as Record<string, number> | undefined) ?? {})) {
      if (!isHidden(ipOf(addr))) continue
      facts.natToNat++
      facts.natFromNat += bytes
    }
  }
  return facts
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1)
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-')
/** Mean leecher download time (ms) of each run where every leecher finished. */
const downloads = (facts: NatFacts[]) => facts.map((f) => f.download ?? Number.NaN).filter(Number.isFinite)

/** What the scenario measured for one implementation and variant. */
interface Measured {
  v: Variant
  facts: NatFacts[]
  download: Spread
  /** Capacity recovered ({@link tradingRecovered}); undefined for the all-public reference. */
  recovered?: Share
  /** Share of the nat–public download-time gap closed ({@link gapClosed}); undefined for nat and public. */
  gap?: Share
}

/**
 * NAT/firewall: one seeder uploading no faster than a peer, one public leecher (it also relays BEP 55
 * rendezvous) and the other leechers NATed behind two masquerade routers (alternating), so the swarm
 * depends on the NATed leechers' upload. Without traversal they upload only to public peers over
 * connections they opened; with port mapping or a holepunch they also serve each other. Per variant,
 * over `ctx.repeats` runs (median and spread): download and completion time, upload by NATed peers,
 * NATed<->NATed connections and bytes, the capacity recovered (the NATed leechers' trading with each
 * other as a share of the same leechers' trading when all are public) and the share of the
 * nat–public download-time gap closed (INCONCLUSIVE when the run-to-run spread hides the gap).
 */
export const nat: Scenario = {
  name: 'nat',
  question:
    'What do NAT and firewalls cost the swarm, and how much do port mapping and holepunching recover?',
  summary:
    'most leechers behind two NATs (no traversal, port mapping, BEP 55 holepunch) or a firewall: completion, NAT-to-NAT trading, capacity recovered',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const n = Math.max(2, ...ctx.peers)
    const runs: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    const answers: string[] = []
    const byImpl = new Map<string, Map<string, Measured>>()
    for (const impl of ctx.impls) byImpl.set(impl, await measureImpl(ctx, fixture, impl, n, runs))
    for (const [impl, measured] of byImpl) {
      compareVariants(ctx, measured)
      for (const m of measured.values()) {
        const row = natRow(impl, m)
        rows.push(row)
        lines.push(variantLine(impl, m.v, row))
      }
      const effect = holepunchLine(impl, measured)
      if (effect) lines.push(effect)
      answers.push(
        `${impl}: ${[...measured.values()]
          .filter((m) => m.recovered)
          .map((m) => `${m.v.name} ${formatShare(m.recovered!)}`)
          .join(', ')}`,
      )
    }
    return {
      name: 'nat',
      answer: `Capacity recovered (the NATed leechers' trading with each other against the same leechers all public${ctx.repeats > 1 ? `, median (range) of ${ctx.repeats} runs` : ''}): ${answers.join('; ')}.`,
      figure: 'nat-recovered',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [natTable(n, ctx.repeats, rows)],
      charts: natCharts(ctx, byImpl, runs),
      lines,
    }
  },
}

/** Runs every variant `impl` takes with `n` leechers (repeated); their runs go to `runs`. */
async function measureImpl(
  ctx: ScenarioContext,
  fixture: Fixture,
  impl: SwarmImpl,
  n: number,
  runs: RunResult[],
): Promise<Map<string, Measured>> {
  const seederCaps = { up: ctx.caps.up * SEEDER_SHARE, down: ctx.caps.down }
  // The NATed leechers may all have to come through one public peer; hosts start seconds apart.
  const timeoutMs =
    (Math.max(30_000, ((fixture.size * (n + 2)) / ctx.caps.up) * 1000) + n * 15_000) * ctx.timeoutScale
  const variants = VARIANTS.filter(
    (v) => (!v.netnsOnly || ctx.mode === 'netns') && (!v.oursOnly || impl === 'ours'),
  )
  const measured = new Map<string, Measured>()
  for (const v of variants) {
    const repeated = await ctx.runRepeated(
      {
        scenario: 'nat',
        run: `nat/${impl}/${v.name}`,
        impl,
        seeders: 1,
        seederCaps,
        leechers: Array.from({ length: n }, (_, i) => ({ kind: i === 0 ? 'public' : v.kind })),
        caps: ctx.caps,
        timeoutMs,
        transports: v.transports,
      },
      fixture,
    )
    runs.push(...repeated.runs)
    const facts = repeated.runs.map((r) => natFacts(ctx, r))
    measured.set(v.name, { v, facts, download: spread(facts.map((f) => f.download)) })
  }
  return measured
}

/** Sets each NATed variant's capacity recovered against the public one, and its gap closed against nat. */
function compareVariants(ctx: ScenarioContext, measured: Map<string, Measured>): void {
  const pub = measured.get('public')
  const none = measured.get('nat')
  for (const m of measured.values()) {
    if (m.v.kind === 'public' || !pub) continue
    // On loopback every host is 127.0.0.1: who traded with whom cannot be told apart.
    m.recovered =
      ctx.mode === 'netns'
        ? tradingRecovered(
            m.facts.map((f) => f.natFromNat),
            pub.facts.map((f) => f.natFromNat),
          )
        : { inconclusive: 'loopback hosts share one address' }
    if (m !== none && none) m.gap = gapClosed(downloads(none.facts), downloads(m.facts), downloads(pub.facts))
  }
}

/** The table's row of one implementation and variant. */
function natRow(impl: string, { v, facts, download, recovered, gap }: Measured): (string | number)[] {
  return [
    impl,
    v.name,
    `${download.n}/${facts.length}`,
    formatSpread(download, secs),
    formatSpread(spread(facts.map((f) => f.completion)), secs),
    mib(median(facts.map((f) => f.hiddenUp))),
    fmt(median(facts.map((f) => f.natToNat)), 0),
    mib(median(facts.map((f) => f.natFromNat))),
    `${fmt(median(facts.map((f) => f.punches)), 0)}${impl === 'ours' ? ` (${fmt(median(facts.map((f) => f.punched)), 0)} connected)` : ''}`,
    recovered ? formatShare(recovered) : 'reference',
    gap ? formatShare(gap) : '-',
  ]
}

/** The result line of one variant, from its table row. */
function variantLine(impl: string, v: Variant, row: (string | number)[]): string {
  return v.kind === 'public'
    ? `nat ${impl} public (reference): mean download ${row[3]} s over ${row[2]} runs, completion ${row[4]} s, the leechers after L0 got ${row[7]} MiB from each other`
    : `nat ${impl} ${v.name}: mean download ${row[3]} s over ${row[2]} runs, completion ${row[4]} s, NATed upload ${row[5]} MiB, NAT<->NAT connections ${row[6]} (${row[7]} MiB traded), holepunches ${row[8]}, capacity recovered ${row[9]}, download-time gap closed ${row[10]}`
}

/** BEP 55's effect: nat+holepunch download time over nat's, run k against run k (when both ran). */
function holepunchLine(impl: string, measured: Map<string, Measured>): string | undefined {
  const none = measured.get('nat')
  const punch = measured.get('nat+holepunch')
  if (!none || !punch) return undefined
  const ratios = punch.facts.map(
    (f, k) => (f.download ?? Number.NaN) / (none.facts[k]?.download ?? Number.NaN),
  )
  return barLine(
    `nat ${impl} BEP 55 effect: mean download nat ${formatSpread(none.download, secs)} s, nat+holepunch ${formatSpread(punch.download, secs)} s; nat+holepunch / nat (run k against run k)`,
    ratios,
    { max: 1 },
  )
}

function natTable(n: number, repeats: number, rows: (string | number)[][]): TableSpec {
  return {
    title: `NAT and firewall: 1 seeder (upload ${SEEDER_SHARE}× a peer's cap), 1 public leecher, ${n - 1} NATed behind two routers; ${repeats} run(s) per variant, median (min–max). Capacity recovered: bytes the NATed leechers got from each other as a share of what the same leechers got from each other all public (median of those runs; 0 without traversal). Gap closed: (T_nat − T) / (T_nat − T_public) on mean download times, interval from the runs' ranges, INCONCLUSIVE when the spread hides the gap`,
    columns: [
      'impl',
      'variant',
      'runs finished',
      'mean download (s)',
      'swarm completion (s)',
      'uploaded by NATed (MiB)',
      'NAT↔NAT connections (both ends; public: the same leechers)',
      'NATed got from NATed (MiB)',
      'holepunches (ours: started (connected); libtorrent: holepunched connections)',
      'capacity recovered',
      'download-time gap closed',
    ],
    rows,
  }
}

/** Download time and capacity recovered per variant, and the first holepunch run's progress. */
function natCharts(
  ctx: ScenarioContext,
  byImpl: Map<string, Map<string, Measured>>,
  runs: RunResult[],
): ChartSpec[] {
  const { repeats } = ctx
  const categories = VARIANTS.filter((v) => !v.netnsOnly || ctx.mode === 'netns').map((v) => v.name)
  /** One bar series per implementation and statistic, over the given variants. */
  const perVariant = (variants: string[], stats: [string, (m: Measured) => number][]): ChartSpec['series'] =>
    ctx.impls.flatMap((impl) =>
      stats.map(([stat, value]) => ({
        name: `${impl} ${stat}`,
        points: variants.map((c): [string, number] => {
          const m = byImpl.get(impl)?.get(c)
          const y = m ? value(m) : Number.NaN
          return [c, Number.isFinite(y) ? Math.round(y * 10) / 10 : 0]
        }),
      })),
    )
  const over = (low: string, high: string) =>
    repeats > 1 ? ` (median, ${low} and ${high} of ${repeats} runs)` : ''
  const times: [string, (m: Measured) => number][] = [
    ['median', (m) => m.download.median / 1000],
    ['fastest', (m) => m.download.min / 1000],
    ['slowest', (m) => m.download.max / 1000],
  ]
  const pct = (key: 'median' | 'min' | 'max') => (m: Measured) =>
    m.recovered && 'spread' in m.recovered ? m.recovered.spread[key] * 100 : Number.NaN
  const shares: [string, (m: Measured) => number][] = [
    ['median', pct('median')],
    ['lowest', pct('min')],
    ['highest', pct('max')],
  ]
  const nated = categories.filter((c) => c !== 'public')
  return [
    {
      id: 'nat-download',
      title: `Mean leecher download time per variant${over('fastest', 'slowest')}`,
      kind: 'bar',
      xName: 'variant',
      yName: 'time (s)',
      categories,
      series: perVariant(categories, repeats > 1 ? times : times.slice(0, 1)),
    },
    {
      id: 'nat-recovered',
      title: `Capacity recovered: NATed leechers' trading with each other / the same leechers' all public${over('lowest', 'highest')}`,
      kind: 'bar',
      xName: 'variant',
      yName: 'recovered (%)',
      categories: nated,
      series: perVariant(nated, repeats > 1 ? shares : shares.slice(0, 1)),
    },
    ...runs
      .filter((r) => r.run.includes('holepunch'))
      .slice(0, 1)
      .map((r) => progressChart(ctx, r, 'nat-progress-holepunch')),
  ]
}
