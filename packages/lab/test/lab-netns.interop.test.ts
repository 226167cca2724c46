import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, it } from 'vitest'
import { checkReportInChromium, checkSmallLab, runSmallLab } from './check-run.js'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('runs a small version of every scenario on network namespaces and the report renders', {
  timeout: 900_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent, COMPONENTS.chromium)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the netns lab test needs root in CI')
    ctx.skip('network namespaces need root')
  }
  const dir = await tempDir('p2p-lab-netns-')
  dirs.push(dir)
  const r = await runSmallLab(`${dir.path}/out`, 'netns')
  await checkSmallLab(r)
  await checkReportInChromium(r.reportPath, `${dir.path}/chromium-profile`)
})
