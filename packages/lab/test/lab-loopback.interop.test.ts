import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'
import { checkReportInChromium, checkSmallLab, runSmallLab } from './check-run.js'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('runs a small version of every scenario on the loopback fallback and says so', {
  timeout: 900_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent, COMPONENTS.chromium)
  const dir = await tempDir('p2p-lab-loopback-')
  dirs.push(dir)
  const r = await runSmallLab(`${dir.path}/out`, 'loopback')
  expect(r.mode).toBe('loopback')
  await checkSmallLab(r)
  const { readFile } = await import('node:fs/promises')
  expect(await readFile(r.reportPath, 'utf8')).toContain('all peers on 127.0.0.1')
  await checkReportInChromium(r.reportPath, `${dir.path}/chromium-profile`)
})
