import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type LabResult, listLabResources, runLab } from '@p2p/lab'
import { chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { ownerOf } from '../src/names.js'

const SMALL_SIZE = 2 * 2 ** 20
/** Pieces of the small lab's file (16 KiB pieces, see pieceLengthFor). */
const SMALL_PIECES = SMALL_SIZE / (16 * 1024)

/** Small version of every scenario with our peers and libtorrent's: 2 MiB file, 2 and 3 leechers, 16/40 Mbit/s caps. */
export async function runSmallLab(out: string, network: 'netns' | 'loopback'): Promise<LabResult> {
  return runLab({
    // The DHT scenarios (trackerless, tracker-dies) and sim-check have their own tests:
    // lab-dht.interop.test.ts and sim-check.interop.test.ts.
    scenarios: ['scaling', 'seeders', 'churn', 'piece-selection', 'nat', 'integrity', 'lan'],
    peers: [2, 3],
    size: SMALL_SIZE,
    up: 2_000_000,
    down: 5_000_000,
    out,
    network,
    impls: ['ours', 'libtorrent'],
    timeoutScale: 2,
    // One run each: the repeats' aggregation has its own test (lab-repeats.interop.test.ts).
    repeats: 1,
  })
}

/** Checks the outcome of {@link runSmallLab}: events, integrity, every scenario present, nothing left behind. */
export async function checkSmallLab(r: LabResult): Promise<void> {
  expect(r.results.map((s) => s.name)).toEqual([
    'scaling',
    'seeders',
    'churn',
    'piece-selection',
    'nat',
    'integrity',
    'lan',
  ])
  const events = (await readFile(r.eventsPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  const pieces = events.filter((e) => e.type === 'piece')
  expect(pieces.some((e) => e.ok === true && e.algorithm === 'sha1')).toBe(true)
  expect(
    pieces.some((e) => e.ok === false && e.algorithm === 'sha1' && (e.peers as string[]).includes('X0')),
  ).toBe(true)
  expect(pieces.some((e) => e.ok === false && e.algorithm === 'sha256')).toBe(true)
  expect(events.some((e) => e.type === 'progress')).toBe(true)
  const scaling = r.results[0]!
  expect(scaling.runs.map((run) => run.run)).toEqual([
    'scaling/ours/N=2',
    'scaling/ours/N=3',
    'scaling/libtorrent/N=2',
    'scaling/libtorrent/N=3',
  ])
  for (const run of scaling.runs) {
    expect(run.allDone).toBe(true)
    // Discovery through our tracker: every peer announced `started` to it, and every leecher got pieces.
    expect(run.discovery).toBe('tracker')
    const started = events
      .filter((e) => e.run === run.run && e.type === 'announce' && e.event === 'started')
      .map((e) => e.peer)
    expect([...new Set(started)].sort(), run.run).toEqual(run.peers.map((p) => p.name).sort())
    for (const p of run.peers.filter((p) => p.role === 'leecher'))
      expect(p.firstPieceAt, p.name).toBeDefined()
  }
  const integrity = r.results[5]!
  expect(integrity.runs.map((run) => run.run)).toEqual([
    'integrity/ours/v1',
    'integrity/ours/v2',
    'integrity/libtorrent/v1',
    'integrity/libtorrent/v2',
  ])
  for (const run of integrity.runs) {
    const leechers = run.peers.filter((p) => p.role === 'leecher')
    expect(
      leechers.map((p) => `${p.name}: ${p.intact}`),
      JSON.stringify(run),
    ).toEqual(leechers.map((p) => `${p.name}: true`))
    expect(run.bans.some((b) => b.peer === 'X0')).toBe(true)
    // every piece of every leecher is logged as verified, and every failed piece names its sender
    const logged = pieces.filter((e) => e.run === run.run)
    for (const l of leechers) {
      const verified = new Set(logged.filter((e) => e.peer === l.name && e.ok === true).map((e) => e.index))
      expect(verified.size, `${run.run} ${l.name}`).toBe(SMALL_PIECES)
    }
    const failed = logged.filter((e) => e.ok === false)
    expect(failed.length, run.run).toBeGreaterThan(0)
    for (const e of failed) {
      expect(e.peers, JSON.stringify(e)).toContain('X0')
      expect(e.algorithm).toBe(run.run.endsWith('v1') ? 'sha1' : 'sha256')
    }
  }
  const churn = r.results[2]!
  expect(churn.runs.find((run) => run.run.endsWith('leave=copy'))?.coverageAfterSeederLeft).toBe(1)
  expect(churn.lines.filter((l) => l.includes('NOT all finished'))).toEqual([])
  const nat = r.results[4]!
  for (const run of nat.runs) {
    const leechers = run.peers.filter((p) => p.role === 'leecher')
    const errors = events.filter((e) => e.run === run.run && e.type === 'error')
    expect(
      leechers.map(
        (p) => `${p.name}: ${p.doneAt !== undefined ? 'done' : p.failed ? 'crashed' : 'not done'}`,
      ),
      JSON.stringify({ peers: run.peers, errors }),
    ).toEqual(leechers.map((p) => `${p.name}: done`))
  }
  // NAT with port mapping (netns only: routers running miniupnpd): every NATed leecher of ours mapped its port.
  const mapped = nat.runs.filter((run) => run.run === 'nat/ours/nat+port mapping')
  expect(mapped.length).toBe(r.mode === 'netns' ? 1 : 0)
  for (const run of mapped) {
    const upnp = run.peers.filter((p) => p.kind === 'upnp').map((p) => p.name)
    const logged = events
      .filter((e) => e.run === run.run && /^port mapping: tcp \d+ -> 6881 via/.test(String(e.message)))
      .map((e) => e.peer)
    expect(upnp.length).toBeGreaterThan(0)
    expect([...new Set(logged)].sort()).toEqual(upnp.sort())
  }
  // LAN: no tracker and no addresses given, every leecher found its peers by LSD and finished.
  const lan = r.results[6]!
  expect(lan.runs.map((run) => `${run.run} ${run.discovery} ${run.allDone}`)).toEqual([
    'lan/ours/lsd lsd true',
    'lan/libtorrent/lsd lsd true',
  ])
  expect(events.some((e) => String(e.run).startsWith('lan/') && e.type === 'announce')).toBe(false)
  expect(r.lines.some((l) => l.includes('completion/T_min'))).toBe(true)
  // Each scaling run measured the machine's CPU, and the report says from which N it sets the pace.
  for (const run of scaling.runs) expect(run.cpuBusy).toBeGreaterThan(0)
  expect(r.lines.some((l) => /machine CPU busy \d+ %/.test(l))).toBe(true)
  // The report comes with its PDF (headless Chromium), an environment block and a summary.
  expect(r.pdfPath).toBeDefined()
  expect((await readFile(r.pdfPath!)).subarray(0, 5).toString()).toBe('%PDF-')
  const html = await readFile(r.reportPath, 'utf8')
  expect(html).toContain('<th>libtorrent</th><td><code>2.')
  expect(html).toContain('How does distribution time grow with the number of peers')
  // Nothing of this process's lab is left (other labs on the machine may be running).
  const left = await listLabResources()
  expect([...left.namespaces, ...left.links].filter((n) => ownerOf(n) === process.pid)).toEqual([])
}

/** Opens the report in headless Chromium: every chart has points and an SVG, no console errors. */
export async function checkReportInChromium(reportPath: string, profileDir: string): Promise<void> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  })
  try {
    const page = await context.newPage()
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`file://${reportPath}`)
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        id: f.getAttribute('data-chart'),
        points: Number(f.getAttribute('data-points')),
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
        shapes: f.querySelectorAll('svg path').length,
        text: f.textContent ?? '',
      })),
    )
    const ids = charts.map((c) => c.id)
    for (const id of [
      'scaling-completion',
      'seeders-speed',
      'pieces-coverage',
      'pieces-availability',
      'churn-progress-0',
    ]) {
      expect(ids).toContain(id)
    }
    for (const c of charts) {
      expect(c.points, c.id ?? '').toBeGreaterThan(0)
      expect(c.width).toBeGreaterThan(100)
      expect(c.shapes).toBeGreaterThan(2)
    }
    expect(charts.find((c) => c.id === 'scaling-completion')!.text).toContain('fluid bound')
    expect(ids).toEqual(
      expect.arrayContaining([
        'scaling-availability',
        'scaling-peers-first-piece',
        'scaling-peers-upload-share',
      ]),
    )
    await checkSummary(page)
    expect(errors).toEqual([])
  } finally {
    await context.close()
  }
}

/**
 * The report's summary in the browser: every question has a one-sentence answer, every figure link
 * points at a chart on the page, every verdict badge says PASS, MISS or INCONCLUSIVE, and the event log is linked.
 */
export async function checkSummary(page: Page): Promise<void> {
  const items = await page.$$eval('ol.summary > li.question', (lis) =>
    lis.map((li) => ({
      question: li.querySelector('b')?.textContent ?? '',
      answer: li.querySelector('.answer')?.textContent ?? '',
      figure: li.querySelector('a.fig')?.getAttribute('href') ?? '',
      badges: [...li.querySelectorAll('.badge')].map((b) => b.textContent ?? ''),
    })),
  )
  expect(items.length).toBeGreaterThan(0)
  for (const item of items) {
    expect(item.answer.length, item.question).toBeGreaterThan(20)
    for (const b of item.badges) expect(['PASS', 'MISS', 'INCONCLUSIVE']).toContain(b)
    if (item.figure)
      expect(await page.$(`figure.chart${item.figure}`), `${item.question} -> ${item.figure}`).not.toBeNull()
  }
  expect(await page.$('a[href="events.jsonl"]')).not.toBeNull()
}

/** Path helper for the tests' output dirs. */
export const outDir = (base: string, name: string) => join(base, name)
