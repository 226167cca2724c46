import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgressView, type ProgressSample, parseSampleJson } from '../src/progress.js'

function sink(isTTY = false) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 })
  let out = ''
  stream.on('data', (b) => (out += b))
  return { stream, out: () => out }
}

const sample = (progress: number, label = 'file.bin'): ProgressSample => ({
  label,
  progress,
  downloadSpeed: 3 * 2 ** 20,
  uploadSpeed: 2 ** 20,
  peers: 2,
  eta: 10,
})

describe('progress view', () => {
  it('prints throttled plain lines, always the completing one, nothing after it', () => {
    let t = 0
    const s = sink()
    const view = createProgressView({ stream: s.stream, interval: 1000, now: () => t })
    view.update(sample(0.1))
    t = 500
    view.update(sample(0.2)) // throttled
    t = 1000
    view.update(sample(0.3))
    t = 1100
    view.update(sample(1)) // completion always shows
    t = 5000
    view.update(sample(1)) // already done
    view.stop()
    const lines = s.out().trim().split('\n')
    expect(lines).toEqual([
      'file.bin: 10.0% down 3.00 MiB/s up 1.00 MiB/s peers 2 eta 10s',
      'file.bin: 30.0% down 3.00 MiB/s up 1.00 MiB/s peers 2 eta 10s',
      'file.bin: 100.0% down 3.00 MiB/s up 1.00 MiB/s peers 2 eta 10s',
    ])
  })

  it('writes JSON lines that parse back into samples', () => {
    const s = sink()
    const view = createProgressView({ stream: s.stream, mode: 'json', interval: 0 })
    view.update({ ...sample(0.12345), eta: Number.POSITIVE_INFINITY })
    view.log('hello')
    const [first, second] = s.out().trim().split('\n')
    expect(parseSampleJson(first!)).toEqual({
      label: 'file.bin',
      progress: 0.1235,
      downloadSpeed: 3 * 2 ** 20,
      uploadSpeed: 2 ** 20,
      peers: 2,
      eta: undefined,
    })
    expect(parseSampleJson(first!, 'leecher-1')?.label).toBe('leecher-1')
    expect(JSON.parse(second!)).toEqual({ type: 'log', level: 'info', message: 'hello' })
    expect(parseSampleJson(second!)).toBeUndefined()
    expect(parseSampleJson('not json')).toBeUndefined()
    expect(parseSampleJson('{"type":"progress","progress":"x"}')).toBeUndefined()
  })

  it('draws one bar per label in a TTY', () => {
    const s = sink(true)
    const view = createProgressView({ stream: s.stream })
    view.update(sample(0.5, 'seeder'))
    view.update(sample(0.25, 'leecher-1'))
    view.update(sample(0.75, 'leecher-1'))
    view.stop()
    const out = s.out()
    expect(out).toContain('seeder')
    expect(out).toContain('leecher-1')
    expect(out).toContain('75.0%')
    expect(out).toContain('peers 2')
  })
})
