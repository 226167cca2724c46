import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { type CreateDhtNodeOptions, createDhtNode, type DhtNode } from '../src/index.js'

// BEP 32 on real UDP sockets, on ::1 (and 127.0.0.1 for the dual-stack node) only.
let nodes: DhtNode[] = []
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()))
  nodes = []
})

async function node(options: CreateDhtNodeOptions): Promise<DhtNode> {
  const n = await createDhtNode({ port: 0, ...options })
  nodes.push(n)
  return n
}

const v6 = (n: DhtNode) => n.addresses().find((a) => a.host.includes(':'))!
const v4 = (n: DhtNode) => n.addresses().find((a) => !a.host.includes(':'))!

describe('BEP 32 on real UDP sockets', () => {
  it('IPv6-only nodes on ::1 join, announce and find peers over IPv6', async () => {
    const boot = await node({ host6: '::1' })
    expect(boot.addresses()).toEqual([{ host: '::1', port: expect.any(Number) }])
    const six = await Promise.all(
      Array.from({ length: 5 }, () => node({ host6: '::1', bootstrap: [v6(boot)] })),
    )
    for (const n of six) await n.start()
    for (const n of six) {
      expect(n.stats().nodes).toMatchObject({ v4: 0 })
      expect(n.stats().nodes.v6).toBeGreaterThanOrEqual(3)
    }
    const infoHash = randomBytes(20)
    const { announced } = await six[0]!.announce(infoHash, 7001)
    expect(announced).toBeGreaterThan(0)
    const { peers } = await six[4]!.getPeers(infoHash)
    expect(peers).toContainEqual({ host: '::1', port: 7001 })
  })

  it('a dual-stack node learns IPv6 nodes through nodes6 when it asks over IPv4 with want n4,n6', async () => {
    const dual = await node({ host: '127.0.0.1', host6: '::1' })
    const six = await Promise.all(
      Array.from({ length: 4 }, () => node({ host6: '::1', bootstrap: [v6(dual)] })),
    )
    for (const n of six) await n.start()
    expect(dual.stats().nodes.v6).toBe(4)
    // Joins through the dual node's IPv4 address only: the IPv6 nodes can only come from nodes6.
    const late = await node({ host: '127.0.0.1', host6: '::1', bootstrap: [v4(dual)] })
    await late.start()
    expect(late.stats().nodes.v4).toBe(1)
    expect(late.stats().nodes.v6).toBeGreaterThanOrEqual(4)
    // An announce over IPv6 is found by a lookup that runs both tables.
    const infoHash = randomBytes(20)
    await six[1]!.announce(infoHash, 7002)
    const { peers } = await late.getPeers(infoHash)
    expect(peers).toContainEqual({ host: '::1', port: 7002 })
  })
})
