import { readFile } from 'node:fs/promises'
import { ROUTER_WAN_IPS, runLab } from '@p2p/lab'
import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

type Progress = {
  peer: string
  run: string
  from?: Record<string, number>
  holepunches?: { started: number }
}

it('NAT scenario: NATed leechers behind two routers meet only with port mapping or a BEP 55 holepunch', {
  timeout: 480_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.nft, COMPONENTS.miniupnpd)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the NAT lab test needs root in CI')
    ctx.skip('network namespaces need root')
  }
  const dir = await tempDir('p2p-lab-nat-')
  dirs.push(dir)
  // One seeder, one public leecher (the relay), two NATed leechers: one behind each router.
  const r = await runLab({
    scenarios: ['nat'],
    peers: [3],
    repeats: 1,
    // Long enough (about 15 s at these caps) for NATed leechers to find a way to each other: a punch
    // starts after a 3 s hanging dial, and with 2 MiB (7.7 s downloads in a CI run) the swarm once
    // finished while both punches were still retrying their SYNs.
    size: 4 * 2 ** 20,
    up: 500_000,
    down: 1_250_000,
    out: `${dir.path}/out`,
    network: 'netns',
    impls: ['ours'],
    onNote: (l) => console.log(l),
  })
  console.log(r.lines.join('\n'))
  const nat = r.results[0]!
  expect(nat.runs.map((run) => run.run)).toEqual([
    'nat/ours/public',
    'nat/ours/nat',
    'nat/ours/nat+port mapping',
    'nat/ours/nat+holepunch',
    'nat/ours/firewalled',
  ])
  const events = (await readFile(r.eventsPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  /** Per run: connections of NATed leechers to NATed leechers (each end), bytes over them, punches started. */
  const facts = new Map<string, { conns: number; bytes: number; punches: number }>()
  for (const run of nat.runs) {
    expect(run.allDone, JSON.stringify(run.peers)).toBe(true)
    expect(run.peers.every((p) => p.intact !== false)).toBe(true)
    const last = new Map<string, Progress>()
    for (const e of events)
      if (e.run === run.run && e.type === 'progress') last.set(String(e.peer), e as Progress)
    const natted = run.peers.filter((p) => p.role === 'leecher' && p.kind !== 'public').map((p) => p.name)
    expect(natted.length, run.run).toBe(run.run.endsWith('/public') ? 0 : 2)
    const f = { conns: 0, bytes: 0, punches: 0 }
    for (const [peer, e] of last) {
      f.punches += e.holepunches?.started ?? 0
      if (!natted.includes(peer)) continue
      for (const [addr, bytes] of Object.entries(e.from ?? {}))
        if (ROUTER_WAN_IPS.includes(addr.slice(0, addr.lastIndexOf(':')))) {
          f.conns++
          f.bytes += bytes
        }
    }
    facts.set(run.run.slice('nat/ours/'.length), f)
  }
  const summary = JSON.stringify(Object.fromEntries(facts))
  // Without traversal (TCP only) two NATed leechers never connect; a firewalled one accepts nothing either.
  expect(facts.get('nat')!.conns, summary).toBe(0)
  expect(facts.get('nat')!.punches, summary).toBe(0)
  // Port mapping on miniupnpd: they dial each other's mapped port.
  expect(facts.get('nat+port mapping')!.conns, summary).toBeGreaterThan(0)
  // uTP with BEP 55 through the public relay: the NATed leechers connect through both NATs and trade
  // pieces. (Two of them dialing each other over uTP at once also punch through, without a relay: the
  // punches column of the report says how many went through BEP 55.)
  const hp = facts.get('nat+holepunch')!
  expect(hp.conns, summary).toBeGreaterThan(0)
  expect(hp.bytes, summary).toBeGreaterThan(0)
  // The report has the NAT table with its capacity figures, and the two bar charts.
  const table = nat.tables[0]!
  const recovered = new Map(
    table.rows.map((row) => [row[1], String(row[table.columns.indexOf('capacity recovered')])]),
  )
  // Capacity recovered is the NATed leechers' trading with each other against the same leechers all
  // public: 0 without traversal, a share within 0..100 % with it (one run: no range).
  expect(recovered.get('public')).toBe('reference')
  expect(recovered.get('nat'), summary).toBe('0%')
  expect(recovered.get('firewalled'), summary).toBe('0%')
  for (const v of ['nat+port mapping', 'nat+holepunch']) {
    const pct = Number(/^(\d+)%$/.exec(recovered.get(v) ?? '')?.[1])
    expect(pct, `${v}: ${recovered.get(v)}`).toBeGreaterThan(0)
    expect(pct).toBeLessThanOrEqual(100)
  }
  // One run gives no spread: the download-time gap closed is not given as a number.
  expect(table.rows.find((row) => row[1] === 'nat+holepunch')!.at(-1)).toMatch(/^INCONCLUSIVE/)
  expect(r.lines.some((l) => l.startsWith('nat ours BEP 55 effect: mean download nat '))).toBe(true)
  expect(nat.charts.map((c) => c.id)).toEqual(
    expect.arrayContaining(['nat-download', 'nat-recovered', 'nat-progress-holepunch']),
  )
})
