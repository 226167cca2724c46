import { fluidBound, LabError, renderReport, runLab, type ScenarioResult } from '@p2p/lab'
import { describe, expect, it } from 'vitest'
import { pieceLengthFor } from '../src/fixture.js'
import { linkName, netnsName, ownerOf } from '../src/names.js'
import { firewallRuleset, natRuleset } from '../src/nat.js'
import { tbfArgs } from '../src/traffic-control.js'

describe('fluidBound', () => {
  const F = 64 * 2 ** 20
  it('is limited by the seeder upload for few leechers', () => {
    expect(
      fluidBound({ size: F, seederUp: [2.5e6], leecherDown: [6.25e6, 6.25e6], leecherUp: [2.5e6, 2.5e6] }),
    ).toBeCloseTo(F / 2.5e6)
  })
  it('is limited by the slowest download when uploads are plenty', () => {
    expect(
      fluidBound({ size: F, seederUp: [1e8], leecherDown: [1e6, 5e6], leecherUp: [1e8, 1e8] }),
    ).toBeCloseTo(F / 1e6)
  })
  it('is limited by total upload for many leechers', () => {
    const n = 10
    const t = fluidBound({
      size: F,
      seederUp: [1e7],
      leecherDown: new Array(n).fill(1e9),
      leecherUp: new Array(n).fill(1e6),
    })
    expect(t).toBeCloseTo((n * F) / (1e7 + n * 1e6))
  })
})

describe('names', () => {
  it('encodes the owner pid in namespace and link names', () => {
    expect(ownerOf(netnsName('h3', (12345).toString(36)))).toBe(12345)
    expect(ownerOf(linkName('h3', (4194304).toString(36)))).toBe(4194304)
    expect(ownerOf('eth0')).toBeUndefined()
    expect(ownerOf('p2plab')).toBeUndefined()
  })
  it('refuses link names over the 15-character kernel limit', () => {
    expect(() => linkName('toolong', 'zzzzz')).toThrow(RangeError)
  })
})

describe('tc and nftables', () => {
  it('caps with tbf at the rate in bits and a bounded burst', () => {
    const args = tbfArgs('eth0', 2_500_000)
    expect(args).toContain('20000000bit')
    expect(args.slice(0, 5)).toEqual(['qdisc', 'replace', 'dev', 'eth0', 'root'])
    expect(Number(args[args.indexOf('burst') + 1])).toBeGreaterThanOrEqual(64 * 1024)
  })
  it('NAT forwards only replies and outbound connections; the firewall drops inbound SYNs', () => {
    const nat = natRuleset('wan', 'lan')
    expect(nat).toContain('masquerade')
    expect(nat).toContain('policy drop')
    expect(nat).toContain('ct state established,related accept')
    expect(firewallRuleset('eth0')).toMatch(/tcp flags & \(syn \| ack\) == syn drop/)
  })
})

describe('pieceLengthFor', () => {
  it('picks a power of two near 256 pieces within 16 KiB..4 MiB', () => {
    expect(pieceLengthFor(64 * 2 ** 20)).toBe(256 * 1024)
    expect(pieceLengthFor(1000)).toBe(16 * 1024)
    expect(pieceLengthFor(2 ** 40)).toBe(4 * 2 ** 20)
  })
})

describe('runLab options', () => {
  it('rejects unknown scenarios and bad peer counts with coded errors', async () => {
    await expect(runLab({ scenarios: ['nope'] })).rejects.toMatchObject({ code: 'LAB_UNKNOWN_SCENARIO' })
    await expect(runLab({ peers: [0] })).rejects.toBeInstanceOf(LabError)
    await expect(runLab({ size: 10 })).rejects.toMatchObject({ code: 'LAB_BAD_OPTION' })
    await expect(runLab({ impls: [] })).rejects.toMatchObject({ code: 'LAB_BAD_OPTION' })
  })
})

describe('renderReport', () => {
  it('renders inline SVG charts with their point counts, escaped tables and the host mode', () => {
    const result: ScenarioResult = {
      name: 'scaling',
      question: 'How does it <scale>?',
      summary: 'test <summary>',
      answer: 'It <scales>.',
      figure: 'c1',
      runs: [],
      tables: [{ title: 'T', columns: ['a'], rows: [['<b>']] }],
      charts: [
        {
          id: 'c1',
          title: 'C',
          kind: 'line',
          xName: 'x',
          yName: 'y',
          series: [
            {
              name: 's',
              points: [
                [1, 2],
                [2, 3],
                [3, 5],
              ],
            },
          ],
        },
      ],
      lines: ['ratio 1.10 (bar <= 1.30) PASS', 'ratio 2.00 (bar <= 1.30) MISS'],
    }
    const html = renderReport(
      {
        mode: 'loopback',
        modeNote: 'all peers on 127.0.0.1',
        size: 2 ** 20,
        caps: { up: 1, down: 2 },
        impls: ['libtorrent'],
        started: 'now',
        notes: [],
        environment: { CPU: 'test cpu x 2', command: 'p2p lab --peers 2' },
        eventsFile: 'events.jsonl',
      },
      [result],
    )
    // The summary answers each scenario's question in a sentence, links its figure and badges each bar's verdict.
    expect(html).toContain('<b>How does it &lt;scale&gt;?</b>')
    expect(html).toContain(
      '<p class="answer">It &lt;scales&gt;. <a class="fig" href="#chart-c1">(figure)</a></p>',
    )
    expect(html).toContain(
      '<span class="badge pass">PASS</span> <code>ratio 1.10 (bar &lt;= 1.30) PASS</code>',
    )
    expect(html).toContain(
      '<span class="badge miss">MISS</span> <code>ratio 2.00 (bar &lt;= 1.30) MISS</code>',
    )
    expect(html).toContain('<figure class="chart" id="chart-c1"')
    expect(html).toContain('<th>CPU</th><td><code>test cpu x 2</code></td>')
    expect(html).toContain('<a href="events.jsonl">')
    expect(html).toContain('data-chart="c1" data-points="3"')
    expect(html).toContain('<svg')
    expect(html).toContain('&lt;b&gt;')
    expect(html).not.toContain('<script')
    expect(html).toContain('all peers on 127.0.0.1')
  })

  it('draws marks such as the seeder leaving as labelled lines', () => {
    const chart = {
      id: 'm',
      title: 'M',
      kind: 'line' as const,
      xName: 'x',
      yName: 'y',
      series: [
        {
          name: 's',
          points: [
            [0, 0],
            [4, 50],
          ] as [number, number][],
        },
      ],
      marks: [{ x: 2, label: 'seeder leaves' }],
    }
    const html = renderReport(
      { mode: 'netns', modeNote: '', size: 1, caps: { up: 1, down: 1 }, impls: [], started: '', notes: [] },
      [{ name: 'churn', question: '', summary: '', runs: [], tables: [], charts: [chart], lines: [] }],
    )
    expect(html).toContain('seeder leaves')
  })
})

describe('cpu load', () => {
  it('gives the busy fraction between two readings', async () => {
    const { busyBetween, cpuTimes } = await import('../src/cpu-load.js')
    expect(busyBetween({ busy: 100, total: 1000 }, { busy: 400, total: 2000 })).toBeCloseTo(0.3)
    expect(busyBetween({ busy: 1, total: 5 }, { busy: 1, total: 5 })).toBe(0)
    const a = cpuTimes()
    const b = cpuTimes()
    expect(b.total).toBeGreaterThanOrEqual(a.total)
    expect(a.busy).toBeLessThanOrEqual(a.total)
  })
})
