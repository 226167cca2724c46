import { randomBytes } from 'node:crypto'
import { main } from '@p2p/cli'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io } from './io.js'

const pct = (b: Uint8Array) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')

describe('p2p tracker --max-peers / --peer-timeout', () => {
  it('keeps at most --max-peers over all torrents and reports the budget in /stats and /metrics', async () => {
    const t = io()
    const run = main(['tracker', '--host', '127.0.0.1', '--max-peers', '3', '--peer-timeout', '600'], t.io)
    const httpUrl = await waitFor(() => t.out().split('\n')[0] || undefined, 10_000, 'the URL')
    for (let i = 0; i < 5; i++) {
      const q = `info_hash=${pct(randomBytes(20))}&peer_id=${pct(randomBytes(20))}&port=${1000 + i}&left=1`
      await (await fetch(`${httpUrl}?${q}`)).arrayBuffer()
    }
    const stats = await (await fetch(httpUrl.replace('/announce', '/stats'))).json()
    expect(stats).toMatchObject({ leechers: 3, peerBudget: 3, evictedPeers: 2 })
    const metrics = await (await fetch(httpUrl.replace('/announce', '/metrics'))).text()
    expect(metrics).toMatch(/^p2p_tracker_evicted_peers 2$/m)
    expect(metrics).toMatch(/^p2p_tracker_peer_budget 3$/m)
    t.stop()
    expect(await run).toBe(130)
  })

  it.each([
    [['--max-peers', '0'], /--max-peers expects an integer/],
    [['--peer-timeout', '1e3'], /--peer-timeout expects an integer/],
    [['--peer-timeout', '60', '--workers', '2'], /apply to the memory store of one worker/],
  ])('%j is a usage error', async (argv, message) => {
    const t = io()
    expect(await main(['tracker', ...argv], t.io)).toBe(2)
    expect(t.err()).toMatch(message)
  })
})
