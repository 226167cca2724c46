import { runSimulation } from '@p2p/lab'
import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { chromium } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { checkSummary } from './check-run.js'
import { decodePng, inkIn } from './png.js'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('renders the report in headless Chromium: a screenshot with every chart drawn, no console errors', {
  timeout: 180_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.chromium)
  const dir = await tempDir('p2p-lab-shot-')
  dirs.push(dir)
  // A small simulated lab (no hosts needed): every simulation chart, same report code as the emulated lab.
  const r = await runSimulation({
    peers: [6],
    size: 256 * 1024,
    pieces: 8,
    seeders: [1, 2],
    out: `${dir.path}/out`,
    pdf: false,
  })
  const context = await chromium.launchPersistentContext(`${dir.path}/profile`, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 900 },
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
    await page.goto(`file://${r.reportPath}`)
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg')
        const box = svg?.getBoundingClientRect()
        return {
          id: f.getAttribute('data-chart') ?? '',
          points: Number(f.getAttribute('data-points')),
          box: box
            ? {
                x: box.x,
                y: box.y + (globalThis as unknown as { scrollY: number }).scrollY,
                width: box.width,
                height: box.height,
              }
            : undefined,
          marks: svg?.querySelectorAll('path, rect, circle').length ?? 0,
        }
      }),
    )
    expect(charts.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'sim-completion',
        'sim-cdf',
        'sim-seeders-speed',
        'sim-upload-share',
        'sim-availability-0',
      ]),
    )
    const shot = decodePng(await page.screenshot({ fullPage: true, type: 'png' }))
    expect(shot.width).toBe(1100)
    // Not blank: ink over the page, and inside every chart's box, in several colors (axes, series, text).
    expect(inkIn(shot, { x: 0, y: 0, width: shot.width, height: shot.height }).ink).toBeGreaterThan(
      shot.width * 20,
    )
    for (const c of charts) {
      expect(c.points, c.id).toBeGreaterThan(0)
      expect(c.box?.width ?? 0, c.id).toBeGreaterThan(300)
      expect(c.box?.height ?? 0, c.id).toBeGreaterThan(100)
      expect(c.marks, c.id).toBeGreaterThan(2)
      const ink = inkIn(shot, c.box!)
      expect(ink.ink, c.id).toBeGreaterThan(500)
      expect(ink.colors, c.id).toBeGreaterThan(3)
    }
    // A chart box on a blank part of the page would have no ink: the check can fail.
    expect(inkIn(shot, { x: 0, y: shot.height - 5, width: 5, height: 5 }).ink).toBe(0)
    await checkSummary(page)
    expect(errors).toEqual([])
  } finally {
    await context.close()
  }
})
