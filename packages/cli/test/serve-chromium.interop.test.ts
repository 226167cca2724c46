import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import {
  COMPONENTS,
  findCommand,
  freePort,
  requireBuilt,
  requireComponents,
  spawnChild,
  stopAll,
  tempDir,
  waitFor,
} from '@p2p/test-utils'
import { chromium } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { magnetLine } from './io.js'

afterAll(stopAll)

const FFMPEG = { command: 'ffmpeg', debianPackage: 'ffmpeg' }

/** The JSON lines a `p2p serve --json` child printed. */
function events(output: string): { type?: string; url?: string }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type?: string; url?: string })
}

it('a <video> in headless Chromium plays a WebM from p2p serve while the swarm is still downloading', async (ctx) => {
  requireComponents(ctx, COMPONENTS.chromium, FFMPEG)
  const BIN = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
  const d = await tempDir('cli-serve-video-')
  const browser = await chromium.launch({
    executablePath: findCommand(COMPONENTS.chromium.command),
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  })
  try {
    // 40 s of small VP8 at a constant 100 kbit/s (noise keeps the encoder from undershooting): about
    // 500 kB, cheap to encode, a keyframe every second.
    const video = join(d.path, 'clip.webm')
    const ff = spawnSync(
      'ffmpeg',
      [
        ...[
          '-nostdin',
          '-loglevel',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x120:rate=10',
          '-t',
          '40',
        ],
        ...['-vf', 'noise=alls=30:allf=t+u', '-c:v', 'libvpx', '-b:v', '100k', '-minrate', '100k'],
        ...['-maxrate', '100k', '-g', '10', '-deadline', 'realtime', '-cpu-used', '8'],
        video,
      ],
      { encoding: 'utf8', timeout: 100_000 },
    )
    expect(ff.status, ff.stderr).toBe(0)
    const port = await freePort()
    // The seed sends 15 kB/s, a little above the bitrate: the first second of video arrives within a
    // few seconds, while the whole file takes about 35 s.
    const seeder = spawnChild(process.execPath, [
      ...[BIN, 'seed', video, '--v1', '--piece-length', '16384', '--port', String(port)],
      ...['--host', '127.0.0.1', '--upload-limit', '15000', '--no-dht'],
    ])
    const magnet = await magnetLine(() => seeder.output())
    const server = spawnChild(process.execPath, [
      ...[BIN, 'serve', magnet, '-o', join(d.path, 'out'), '--peer', `127.0.0.1:${port}`],
      ...['--listen-host', '127.0.0.1', '--json'],
    ])
    const base = await waitFor(
      () => events(server.output()).find((e) => e.type === 'serving')?.url,
      30_000,
      `serving line\n${server.output()}`,
    )
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const fileUrl = await waitFor(
      () => events(server.output()).find((e) => e.type === 'file')?.url,
      30_000,
      `file line\n${server.output()}`,
    )
    const page = await browser.newPage()
    // play() at the first 'canplay': autoplay would wait for HAVE_ENOUGH_DATA, which Chromium grants
    // a slow download only once most of the file is there
    await page.setContent(
      `<video id="v" src="${fileUrl}" muted playsinline preload="auto"></video>
       <script>const v = document.getElementById('v'); v.addEventListener('canplay', () => v.play())</script>`,
    )
    // Playback advances...
    // (page code as strings: this package's TypeScript has no DOM types)
    const VIDEO = `document.getElementById('v')`
    await page.waitForFunction(
      `(() => { const v = ${VIDEO}; if (v.error) throw new Error('video error ' + v.error.code + ': ' + v.error.message); return v.currentTime > 1 })()`,
      null,
      { timeout: 40_000, polling: 100 },
    )
    // ...while the swarm is still downloading.
    const index = (await (await fetch(new URL('index.json', base))).json()) as {
      torrents: { progress: number }[]
    }
    const progress = index.torrents[0]!.progress
    const played = (await page.evaluate(`${VIDEO}.currentTime`)) as number
    expect(played).toBeGreaterThan(1)
    expect(progress).toBeLessThan(1)
    await server.stop()
    await seeder.stop()
  } finally {
    await browser.close()
    await stopAll()
    await d.remove()
  }
}, 240_000)
