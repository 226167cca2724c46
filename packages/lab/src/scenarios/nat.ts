import type { HostKind } from '../netns.js'
import { progressChart, type Scenario, secs } from '../scenario.js'
import { largestSwarm } from './scaling.js'

/**
 * Variants: everyone public (baseline), half the leechers behind NAT, half behind NAT mapping their port
 * on the router (miniupnpd: netns mode only), half firewalled.
 */
const VARIANTS: { name: string; kind: HostKind }[] = [
  { name: 'public', kind: 'public' },
  { name: 'nat', kind: 'nat' },
  { name: 'nat+port mapping', kind: 'upnp' },
  { name: 'firewalled', kind: 'firewalled' },
]

/**
 * NAT/firewall: half the leechers cannot accept connections. They still download from public peers
 * and upload to them over connections they opened; the capacity lost is 1 - T_public / T_variant.
 * With port mapping (UPnP IGD / NAT-PMP / PCP against miniupnpd) the NATed leechers accept connections
 * again, so they also serve each other; the loopback fallback cannot emulate a router and skips it.
 */
export const nat: Scenario = {
  name: 'nat',
  question: 'What do NAT and firewalls cost the swarm?',
  summary:
    'half the leechers behind NAT (with and without port mapping) or a firewall: do they finish, what capacity is lost',
  async run(ctx) {
    const { fixture, impl, n, bound } = await largestSwarm(ctx)
    const runs = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    let baseline: number | undefined
    for (const v of VARIANTS.filter((x) => x.kind !== 'upnp' || ctx.mode === 'netns')) {
      ctx.note(`nat: ${impl}, ${v.name}`)
      const r = await ctx.runSwarm(
        {
          scenario: 'nat',
          run: `nat/${impl}/${v.name}`,
          impl,
          seeders: 1,
          leechers: Array.from({ length: n }, (_, i) => ({ kind: i % 2 === 1 ? v.kind : 'public' })),
          caps: ctx.caps,
          timeoutMs: Math.max(bound * 8, 30_000) * ctx.timeoutScale,
        },
        fixture,
      )
      runs.push(r)
      if (v.kind === 'public') baseline = r.completion
      const hidden = r.peers.filter((p) => p.role === 'leecher' && p.kind !== 'public')
      const hiddenDone = hidden.filter((p) => p.doneAt !== undefined).length
      const hiddenUp = hidden.reduce((a, p) => a + p.uploaded, 0)
      const lost =
        baseline !== undefined && r.completion !== undefined ? 1 - baseline / r.completion : Number.NaN
      rows.push([
        impl,
        v.name,
        hidden.length,
        `${hiddenDone}/${hidden.length}`,
        (hiddenUp / 2 ** 20).toFixed(1),
        secs(r.completion),
        Number.isNaN(lost) ? '-' : `${(lost * 100).toFixed(0)}%`,
      ])
      if (v.kind !== 'public')
        lines.push(
          `nat ${impl} ${v.name}: ${hiddenDone}/${hidden.length} hidden leechers finished, uploaded ${(hiddenUp / 2 ** 20).toFixed(1)} MiB, capacity lost ${Number.isNaN(lost) ? '-' : `${(lost * 100).toFixed(0)}%`}`,
        )
    }
    return {
      name: 'nat',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: 'NAT and firewall',
          columns: [
            'impl',
            'variant',
            'hidden leechers',
            'hidden finished',
            'uploaded by hidden (MiB)',
            'completion (s)',
            'capacity lost',
          ],
          rows,
        },
      ],
      charts: runs.slice(1).map((r, i) => progressChart(ctx, r, `nat-progress-${i}`)),
      lines,
    }
  },
}
