import { main } from '@p2p/cli'
import { describe, expect, it } from 'vitest'
import { io } from './io.js'

describe('p2p demo arguments', () => {
  it.each([
    [['--peers', '0'], /--peers expects an integer in 1\.\.20, got "0"/],
    [['--peers', '2.5'], /--peers expects an integer/],
    [['--size', 'big'], /--size expects an integer in 1\.\.4096/],
    [['--frob'], /Unknown option '--frob'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('rejects %j as a one-line usage error (exit 2)', async (argv, message) => {
    const t = io()
    expect(await main(['demo', ...argv], t.io)).toBe(2)
    expect(t.err()).toMatch(message)
    expect(t.err()).toMatch(/\(CLI_USAGE\)\n$/)
    expect(t.err().split('\n')).toHaveLength(2)
  })
  it('prints its usage', async () => {
    const t = io()
    expect(await main(['demo', '--help'], t.io)).toBe(0)
    expect(t.out()).toContain('usage: p2p demo [--peers N]')
  })
})
