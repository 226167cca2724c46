import type { HostKind } from '../netns.js'
import { ROUTER_WAN_IPS } from '../netns.js'
import type { PeerTransport } from '../peer-process.js'
import { median } from '../repeats.js'
import {
  type ChartSpec,
  leecherTimes,
  mean,
  progressChart,
  type Scenario,
  type ScenarioContext,
  secs,
} from '../scenario.js'
import type { RunResult } from '../swarm-run.js'

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
  /** Bytes NATed leechers downloaded from NATed leechers. */
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

/**
 * Counts from the peers' own reports: a NATed leecher's peer whose address is a NAT router's WAN address
 * is another NATed leecher (public peers are seen under their own address).
 */
function natFacts(ctx: ScenarioContext, r: RunResult): NatFacts {
  const last = lastProgress(ctx, r.run)
  const hidden = r.peers.filter((p) => p.role === 'leecher' && p.kind !== 'public')
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
      if (!ROUTER_WAN_IPS.includes(addr.slice(0, addr.lastIndexOf(':')))) continue
      facts.natToNat++
      facts.natFromNat += bytes
    }
  }
  return facts
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1)
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-')

/**
 * NAT/firewall: one seeder uploading no faster than a peer, one public leecher (it also relays BEP 55
 * rendezvous) and the other leechers NATed behind two masquerade routers (alternating), so the swarm
 * depends on the NATed leechers' upload. Without traversal they upload only to public peers over
 * connections they opened; with port mapping or a holepunch they also serve each other. Per variant:
 * completion time (median and spread over `ctx.repeats` runs), upload by NATed peers, NATed<->NATed
 * connections, and the capacity recovered, (T_nat - T_variant) / (T_nat - T_public) on the medians of
 * the mean leecher download time.
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
    const { repeats } = ctx
    const seederCaps = { up: ctx.caps.up * SEEDER_SHARE, down: ctx.caps.down }
    // The NATed leechers may all have to come through one public peer; hosts start seconds apart.
    const timeoutMs =
      (Math.max(30_000, ((fixture.size * (n + 2)) / ctx.caps.up) * 1000) + n * 15_000) * ctx.timeoutScale
    const runs: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    const summary = new Map<string, Map<string, number>>()
    for (const impl of ctx.impls) {
      const medians = new Map<string, number>()
      summary.set(impl, medians)
      const variants = VARIANTS.filter(
        (v) => (!v.netnsOnly || ctx.mode === 'netns') && (!v.oursOnly || impl === 'ours'),
      )
      const measured: { v: Variant; facts: NatFacts[] }[] = []
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
        measured.push({ v, facts })
        const done = facts.map((f) => f.download ?? Number.NaN).filter(Number.isFinite)
        medians.set(v.name, done.length === facts.length ? median(done) : Number.NaN)
      }
      const tPublic = medians.get('public') ?? Number.NaN
      const tNat = medians.get('nat') ?? Number.NaN
      for (const { v, facts } of measured) {
        const done = facts.map((f) => f.download ?? Number.NaN).filter(Number.isFinite)
        const completions = facts.map((f) => f.completion ?? Number.NaN).filter(Number.isFinite)
        const t = medians.get(v.name)!
        const recovered = v.kind === 'public' || v.name === 'nat' ? Number.NaN : (tNat - t) / (tNat - tPublic)
        const conns = median(facts.map((f) => f.natToNat))
        const row = [
          impl,
          v.name,
          `${done.length}/${facts.length}`,
          secs(Number.isFinite(t) ? t : undefined),
          done.length ? `${secs(Math.min(...done))}–${secs(Math.max(...done))}` : '-',
          completions.length === facts.length ? secs(median(completions)) : '-',
          mib(median(facts.map((f) => f.hiddenUp))),
          fmt(conns, 0),
          mib(median(facts.map((f) => f.natFromNat))),
          `${fmt(median(facts.map((f) => f.punches)), 0)}${impl === 'ours' ? ` (${fmt(median(facts.map((f) => f.punched)), 0)} connected)` : ''}`,
          Number.isFinite(recovered) ? `${(recovered * 100).toFixed(0)}%` : '-',
        ]
        rows.push(row)
        if (v.kind !== 'public')
          lines.push(
            `nat ${impl} ${v.name}: mean download median ${row[3]} s (${row[4]} s over ${row[2]} runs), completion median ${row[5]} s, NATed upload ${row[6]} MiB, NAT<->NAT connections ${row[7]} (${row[8]} MiB traded), holepunches ${row[9]}, capacity recovered ${row[10]}`,
          )
      }
    }
    const categories = VARIANTS.filter((v) => !v.netnsOnly || ctx.mode === 'netns').map((v) => v.name)
    const bar = (
      id: string,
      title: string,
      yName: string,
      value: (impl: string, v: string) => number,
    ): ChartSpec => ({
      id,
      title,
      kind: 'bar',
      xName: 'variant',
      yName,
      categories,
      series: ctx.impls.map((impl) => ({
        name: impl,
        points: categories.map((c): [string, number] => {
          const y = value(impl, c)
          return [c, Number.isFinite(y) ? Math.round(y * 10) / 10 : 0]
        }),
      })),
    })
    const t = (impl: string, v: string) => summary.get(impl)?.get(v) ?? Number.NaN
    return {
      name: 'nat',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: `NAT and firewall: 1 seeder (upload ${SEEDER_SHARE}× a peer's cap), 1 public leecher, ${n - 1} NATed behind two routers; ${repeats} run(s) per variant`,
          columns: [
            'impl',
            'variant',
            'runs finished',
            'mean download median (s)',
            'mean download min–max (s)',
            'swarm completion median (s)',
            'uploaded by NATed (MiB)',
            'NAT↔NAT connections (both ends)',
            'NATed got from NATed (MiB)',
            'holepunches (ours: started (connected); libtorrent: holepunched connections)',
            'capacity recovered',
          ],
          rows,
        },
      ],
      charts: [
        bar('nat-download', 'Mean leecher download time per variant (median over runs)', 'time (s)', t),
        bar(
          'nat-recovered',
          'Capacity recovered: (T_nat − T_variant) / (T_nat − T_public), T = mean download time',
          'recovered (%)',
          (impl, v) =>
            v === 'public' || v === 'nat'
              ? 0
              : ((t(impl, 'nat') - t(impl, v)) / (t(impl, 'nat') - t(impl, 'public'))) * 100,
        ),
        ...runs
          .filter((r) => r.run.includes('holepunch'))
          .slice(0, 1)
          .map((r) => progressChart(ctx, r, 'nat-progress-holepunch')),
      ],
      lines,
    }
  },
}
