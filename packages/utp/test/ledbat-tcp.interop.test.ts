import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { type Child, requireBuilt, spawnChild, startBridgeLab, waitFor } from '@p2p/test-utils'
import { afterEach, expect, it } from 'vitest'

const run = promisify(execFile)
const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
}, 20_000)

/**
 * The bottleneck: 2 MB/s with a queue of up to 400 ms (a bloated uplink), on the bridge's port towards
 * the receiver, i.e. in a router. Not on the sender's own interface: there TCP Small Queues cap the
 * bytes a TCP socket may hold in the local qdisc, so TCP stalls at ~10 packets behind uTP's standing
 * queue (no loss, no growth: ~20-40 KiB/s) whatever uTP does, while UDP has no such limit.
 */
const TBF = ['tbf', 'rate', '16mbit', 'burst', '256k', 'latency', '400ms']
const PORT = 7300
const TCP_CC = '/proc/sys/net/ipv4/tcp_congestion_control'
const TCP_AFTER_MS = 5_000
const DURATION_MS = 14_000

interface Sample {
  t: number
  utp: number
  tcp: number
}

/** Bytes per second of each flow between the first samples at or after `from` and `to` ms. */
function rates(samples: Sample[], from: number, to: number): { utp: number; tcp: number } {
  const a = samples.find((s) => s.t >= from)
  const b = samples.find((s) => s.t >= to) ?? samples.at(-1)
  if (!a || !b || b.t <= a.t) throw new Error(`no samples between ${from} and ${to} ms`)
  const secs = (b.t - a.t) / 1000
  return { utp: (b.utp - a.utp) / secs, tcp: (b.tcp - a.tcp) / secs }
}

it('LEDBAT: a uTP flow yields to a TCP flow that starts on the same capped link', {
  timeout: 60_000,
}, async (ctx) => {
  requireBuilt(ctx, new URL('../dist/index.js', import.meta.url), '@p2p/utp')
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('network namespaces need root in CI')
    ctx.skip('network namespaces need root')
  }
  const script = new URL('./fixtures/ledbat-flow.mjs', import.meta.url).pathname
  const lab = await startBridgeLab('utlb', 2)
  cleanup.push(lab.close)
  const [sender, receiver] = lab.hosts as [{ netns: string; ip: string }, { netns: string; ip: string }]
  await run('tc', ['-n', lab.bridge, 'qdisc', 'replace', 'dev', 'p1', 'root', ...TBF])
  // LEDBAT yields to loss-based TCP (RFC 6817), which fills the queue; the host default may be BBR.
  // Reno is always built in (a namespace may not pick every available algorithm).
  await run('ip', ['netns', 'exec', sender.netns, 'sh', '-c', `echo reno > ${TCP_CC}`])
  const flow = (netns: string, cfg: Record<string, unknown>): Child => {
    const child = spawnChild('ip', ['netns', 'exec', netns, process.execPath, script, JSON.stringify(cfg)])
    cleanup.push(() => child.stop(2000))
    return child
  }
  const recv = flow(receiver.netns, { role: 'recv', port: PORT })
  await waitFor(() => recv.output().includes('"ready"'), 15_000, `receiver (${recv.output()})`)
  const send = flow(sender.netns, {
    role: 'send',
    host: receiver.ip,
    port: PORT,
    tcpAfterMs: TCP_AFTER_MS,
    durationMs: DURATION_MS,
  })
  await new Promise<void>((resolve) => send.proc.once('exit', () => resolve()))
  const samples = recv
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"t"'))
    .map((l) => JSON.parse(l) as Sample)
  // The receiver's clock started earlier: align on the first byte of uTP.
  const t0 = samples.find((s) => s.utp > 0)?.t ?? 0
  const at = samples.map((s) => ({ ...s, t: s.t - t0 }))
  const alone = rates(at, 1_000, TCP_AFTER_MS)
  // From 2 s after TCP started (its slow start done) to the end.
  const shared = rates(at, TCP_AFTER_MS + 2_000, DURATION_MS)
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB/s`
  console.log(
    `LEDBAT vs TCP over a 2 MB/s tbf link: uTP alone ${kib(alone.utp)}; with TCP: uTP ${kib(shared.utp)}, TCP ${kib(shared.tcp)} (uTP share ${((100 * shared.utp) / (shared.utp + shared.tcp)).toFixed(0)}%)`,
  )
  expect(alone.utp, 'uTP moved data alone').toBeGreaterThan(0)
  expect(shared.tcp, 'TCP moved data').toBeGreaterThan(0)
  // The direction only: uTP gives way (less than half the link, and less than half what it had alone).
  expect(shared.utp).toBeLessThan(shared.tcp)
  expect(shared.utp).toBeLessThan(alone.utp / 2)
})
