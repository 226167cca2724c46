import { main } from '@p2p/cli'
import { describe, expect, it } from 'vitest'
import { io } from './io.js'

describe('p2p main', () => {
  it('prints help and exits 2 without a command', async () => {
    const t = io()
    expect(await main([], t.io)).toBe(2)
    expect(t.out()).toContain('usage: p2p <command>')
  })
  it('reports an unknown command as a one-line usage error', async () => {
    const t = io()
    expect(await main(['frobnicate'], t.io)).toBe(2)
    expect(t.err()).toMatch(/^p2p: unknown command "frobnicate".*\(CLI_USAGE\)\n$/)
  })
})
