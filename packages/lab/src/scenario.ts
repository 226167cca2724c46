import type { EventLog } from './event-log.js'
import type { Fixture } from './fixture.js'
import type { NetworkMode } from './hosts.js'
import type { HostCaps } from './netns.js'
import type { FixtureVersion } from './peer-process.js'
import type { Repeated } from './repeats.js'
import type { PeerResult, RunResult, SwarmSpec } from './swarm-types.js'

export { median } from './repeats.js'

/** Implementation a swarm run uses for seeders and leechers. */
export type SwarmImpl = 'ours' | 'libtorrent'

/** A chart for the report: one line/bar chart, rendered to SVG by echarts. */
export interface ChartSpec {
  id: string
  title: string
  kind: 'line' | 'bar'
  xName: string
  yName: string
  /** For bar charts: the category labels of x. */
  categories?: string[]
  series: { name: string; points: [number | string, number][]; dashed?: boolean }[]
  /** Vertical lines at x (e.g. when the seeder left). */
  marks?: { x: number; label: string }[]
  /** Upper end of the x axis, so charts of different implementations share their axes. */
  xMax?: number
}

/** A table for the report (also printed on stdout). */
export interface TableSpec {
  title: string
  columns: string[]
  rows: (string | number)[][]
}

/** What a scenario hands back to the report. */
export interface ScenarioResult {
  name: string
  /** The question it answers ({@link Scenario.question}). */
  question: string
  summary: string
  runs: RunResult[]
  tables: TableSpec[]
  charts: ChartSpec[]
  /** Headline lines printed on stdout (quality-bar ratios, checks). */
  lines: string[]
  /** The answer to {@link question} in one sentence with its numbers (the report's summary; default: the first line). */
  answer?: string
  /** Id of the chart that shows the answer (linked from the summary). */
  figure?: string
}

/** Shared state a scenario runs with. */
export interface ScenarioContext {
  /** How hosts are emulated (a router with miniupnpd exists only in netns mode). */
  mode: NetworkMode
  log: EventLog
  workDir: string
  size: number
  peers: number[]
  caps: HostCaps
  /** Implementations to run (scaling, seeders and integrity compare all; churn, piece-selection and NAT use the first). */
  impls: SwarmImpl[]
  /** Multiplier on every run's timeout (slow machines). */
  timeoutScale: number
  /** How often a scenario repeats each run (median and spread over them; default 3). */
  repeats: number
  /** Runs one swarm on the lab's network, logging to the lab's event log. */
  runSwarm(spec: SwarmSpec, fixture: Fixture): Promise<RunResult>
  /** Runs one swarm spec {@link repeats} times (run names get ` #k` when more than once) and sums them up. */
  runRepeated(spec: SwarmSpec, fixture: Fixture): Promise<Repeated>
  fixture(version?: FixtureVersion): Promise<Fixture>
  signal?: AbortSignal
  /** Progress lines for the user (stderr in the CLI). */
  note(line: string): void
}

/** A named experiment, runnable alone. */
export interface Scenario {
  name: string
  /** The report's question this scenario answers (the summary at the top of the report). */
  question: string
  summary: string
  run(ctx: ScenarioContext): Promise<ScenarioResult>
}

/** Seconds with one decimal, or '-' */
export function secs(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(1)
}

/** Mean of numbers (NaN for none). */
export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN
}

/** The leechers of every run, in order. */
export function leechersOf(runs: RunResult[]): PeerResult[] {
  return runs.flatMap((r) => r.peers.filter((p) => p.role === 'leecher'))
}

/** Each leecher's time from its start to its first verified piece, ms. */
export function firstPieces(r: RunResult): number[] {
  return r.peers
    .filter((p) => p.role === 'leecher' && p.firstPieceAt !== undefined)
    .map((p) => p.firstPieceAt! - Math.max(p.startAt, 0))
}

/** Mean time (ms) from a leecher's start to its first verified piece: what finding peers costs. */
export function meanFirstPiece(r: RunResult): number {
  return mean(firstPieces(r))
}

/** ` over N runs` after a count summed over several runs; nothing for one run. */
export function overRuns(runs: RunResult[]): string {
  return runs.length > 1 ? ` over ${runs.length} runs` : ''
}

/**
 * A table's title: with several repeats, `title`, `sep`, "median (min–max) of N runs" and `detail`
 * (what else is summed); else `title` alone.
 */
export function repeatsTitle(ctx: ScenarioContext, title: string, sep = ': ', detail = ''): string {
  return ctx.repeats > 1 ? `${title}${sep}median (min–max) of ${ctx.repeats} runs${detail}` : title
}

/** Per-peer progress series of one run, from the event log (x seconds, y percent); `xMax` shares the time axis. */
export function progressChart(ctx: ScenarioContext, r: RunResult, id: string, xMax?: number): ChartSpec {
  const byPeer = new Map<string, [number, number][]>()
  const start = (ctx.log.of(r.run, 'swarm-ready')[0] ?? ctx.log.of(r.run, 'run-start')[0])?.t ?? 0
  for (const e of ctx.log.of(r.run, 'progress')) {
    const peer = e.peer ?? '?'
    if (!peer.startsWith('L')) continue
    const pts = byPeer.get(peer) ?? []
    pts.push([Math.round((e.t - start) / 100) / 10, Math.round(Number(e.progress) * 1000) / 10])
    byPeer.set(peer, pts)
  }
  const marks = ctx.log
    .of(r.run)
    .filter((e) => e.type === 'seeder-leave' || e.type === 'leave')
    .map((e) => ({
      x: Math.round((e.t - start) / 100) / 10,
      label: e.type === 'leave' ? `${e.peer} leaves` : 'seeder leaves',
    }))
  return {
    id,
    marks,
    xMax,
    title: `Per-peer progress: ${r.run}`,
    kind: 'line',
    xName: 'time (s)',
    yName: 'progress (%)',
    series: [...byPeer].map(([name, points]) => ({ name, points })),
  }
}

/**
 * Every peer of the given runs, one row each: when it started, its first verified piece and when it
 * finished (seconds from the swarm's zero, when the seeders were ready), and what it moved.
 */
export function peersTable(runs: RunResult[]): TableSpec {
  const rows = runs.flatMap((r) =>
    r.peers.map((p) => [
      r.run,
      p.name,
      p.role,
      p.kind,
      secs(p.startAt),
      p.firstPieceAt === undefined ? '-' : secs(p.firstPieceAt - Math.max(p.startAt, 0)),
      p.doneAt === undefined ? '-' : secs(p.doneAt - Math.max(p.startAt, 0)),
      (p.downloaded / 2 ** 20).toFixed(1),
      (p.uploaded / 2 ** 20).toFixed(1),
    ]),
  )
  return {
    title: 'Peers (times from the swarm zero: every seeder ready)',
    columns: [
      'run',
      'peer',
      'role',
      'host',
      'start (s)',
      'first piece after start (s)',
      'done after start (s)',
      'down (MiB)',
      'up (MiB)',
    ],
    rows,
  }
}

/**
 * What each implementation ran with, as its peers reported it at start (the first seeder and leecher
 * of each implementation), one row per setting: the report prints both sides next to each other.
 */
export function settingsTable(runs: RunResult[]): TableSpec {
  const columns: string[] = []
  const values = new Map<string, Map<string, string>>()
  for (const r of runs) {
    for (const role of ['seeder', 'leecher'] as const) {
      const reported = r.settings[role]
      const column = `${r.impl} ${role}`
      if (!reported || columns.includes(column)) continue
      columns.push(column)
      for (const [key, value] of Object.entries(reported)) {
        const row = values.get(key) ?? new Map<string, string>()
        row.set(column, typeof value === 'string' ? value : JSON.stringify(value))
        values.set(key, row)
      }
    }
  }
  return {
    title: 'Settings each implementation reported (unlisted: the library defaults)',
    columns: ['setting', ...columns],
    rows: [...values].map(([key, row]) => [key, ...columns.map((c) => row.get(c) ?? '-')]),
  }
}

/**
 * Two bar charts over the peers of `runs` (one series per run): each leecher's time from its start to
 * its first verified piece, and what every peer uploaded (the seeder's share against the leechers').
 */
export function perPeerCharts(runs: RunResult[], id: string): ChartSpec[] {
  const leechers = [
    ...new Set(runs.flatMap((r) => r.peers.filter((p) => p.role === 'leecher').map((p) => p.name))),
  ]
  const everyone = [...new Set(runs.flatMap((r) => r.peers.map((p) => p.name)))]
  const series = (names: string[], value: (p: PeerResult) => number | undefined) =>
    runs.map((r) => ({
      name: r.run,
      points: names.map((n): [string, number] => {
        const p = r.peers.find((q) => q.name === n)
        return [n, p ? (value(p) ?? 0) : 0]
      }),
    }))
  return [
    {
      id: `${id}-first-piece`,
      title: 'Time from a leecher’s start to its first verified piece',
      kind: 'bar',
      xName: 'leecher',
      yName: 'time (s)',
      categories: leechers,
      series: series(leechers, (p) =>
        p.firstPieceAt === undefined ? undefined : (p.firstPieceAt - Math.max(p.startAt, 0)) / 1000,
      ),
    },
    {
      id: `${id}-upload-share`,
      title: 'Upload per peer (the seeder’s share against the leechers’)',
      kind: 'bar',
      xName: 'peer',
      yName: 'uploaded (MiB)',
      categories: everyone,
      series: series(everyone, (p) => Math.round((p.uploaded / 2 ** 20) * 10) / 10),
    },
  ]
}

/**
 * Mean copies of a piece among the running leechers over time, one series per run (from the runs'
 * availability samples), on one time axis.
 */
export function availabilityChart(runs: RunResult[], id: string): ChartSpec {
  return {
    id,
    title: 'Piece availability over time (mean copies of a piece among leechers)',
    kind: 'line',
    xName: 'time (s)',
    yName: 'copies',
    series: runs.map((r) => ({
      name: r.run,
      points: r.availability.map((a): [number, number] => [
        Math.round(a.t / 100) / 10,
        Math.round(a.mean * 100) / 100,
      ]),
    })),
  }
}

/** Download time (ms) of every leecher that finished. */
export function leecherTimes(r: RunResult): number[] {
  return r.peers
    .filter((p) => p.role === 'leecher' && p.doneAt !== undefined)
    .map((p) => p.doneAt! - p.startAt)
}

/** `n` leechers, all public and present from the start. */
export function publicLeechers(n: number): SwarmSpec['leechers'] {
  return Array.from({ length: n }, () => ({}))
}
