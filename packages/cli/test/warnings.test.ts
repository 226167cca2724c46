import { describe, expect, it } from 'vitest'
import type { ProgressView } from '../src/progress.js'
import { logWarning } from '../src/warnings.js'

/** A view that records what was logged, with its level. */
function recorder(): { view: ProgressView; logged: [string, string | undefined][] } {
  const logged: [string, string | undefined][] = []
  return { view: { update() {}, log: (m, level) => logged.push([m, level]), stop() {} }, logged }
}

const peer = { host: '127.0.0.1', port: 6881 }
const closed = (code: string) => ({
  message: `peer 127.0.0.1:6881 closed: ${code}`,
  peer,
  error: Object.assign(new Error(code), { code }),
})

describe('peer resets are debug lines, not warnings', () => {
  it('TCP and uTP resets and timeouts of a peer: nothing, or debug with --verbose', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UTP_RESET', 'UTP_TIMEOUT']) {
      const quiet = recorder()
      logWarning(quiet.view, closed(code), false)
      expect(quiet.logged, code).toEqual([])
      const verbose = recorder()
      logWarning(verbose.view, closed(code), true)
      expect(verbose.logged, code).toEqual([[`debug: peer 127.0.0.1:6881 closed: ${code}`, 'debug']])
    }
  })

  it('anything else is a warning: a reset without a peer, a peer protocol error, a tracker failure', () => {
    const r = recorder()
    logWarning(
      r.view,
      { message: 'listener reset', error: Object.assign(new Error('x'), { code: 'ECONNRESET' }) },
      false,
    )
    logWarning(r.view, closed('PEER_WIRE_BAD_MESSAGE'), false)
    logWarning(r.view, { message: 'tracker http://t/announce: refused' }, false)
    expect(r.logged.map(([, level]) => level)).toEqual(['warning', 'warning', 'warning'])
  })
})
