import { describe, expect, it } from 'vitest'
import { simulateNetwork } from '../src/index.js'

describe('simulated network on the in-memory transport', () => {
  it('1,000 nodes: lookups converge in few hops and survive 30% of nodes leaving at once', async () => {
    const report = await simulateNetwork({ nodes: 1000, lookups: 50, churn: 0.3, seed: 7 })
    console.log(JSON.stringify(report, null, 1))
    expect(report.nodes).toBe(1000)
    expect(report.tableSize.min).toBeGreaterThanOrEqual(8)
    expect(report.tableSize.mean).toBeGreaterThan(report.tableSize.predicted * 0.8)
    expect(report.before.foundClosest).toBeGreaterThanOrEqual(0.95)
    expect(report.before.foundPeers).toBe(1)
    // O(log N): with k = 8 buckets, 1,000 nodes are a handful of hops apart.
    expect(report.before.hops.length - 1).toBeLessThanOrEqual(8)
    expect(report.alive).toBe(700)
    expect(report.after.foundClosest).toBeGreaterThanOrEqual(0.9)
    expect(report.after.foundPeers).toBeGreaterThanOrEqual(0.9)
  }, 300_000)
})
