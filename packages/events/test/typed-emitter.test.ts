import { TypedEmitter } from '@p2p/events'
import { describe, expect, it } from 'vitest'

class Source extends TypedEmitter<{ value: (n: number, label: string) => void; error: (e: Error) => void }> {
  fire(n: number): void {
    this.emit('value', n, `#${n}`)
  }
  fail(e: Error): void {
    this.emit('error', e)
  }
}

describe('TypedEmitter', () => {
  it('calls listeners with every argument; on returns an unsubscribe; once fires once', () => {
    const s = new Source()
    const seen: string[] = []
    const off = s.on('value', (n, label) => seen.push(`on ${n} ${label}`))
    s.once('value', (n) => seen.push(`once ${n}`))
    s.fire(1)
    s.fire(2)
    off()
    s.fire(3)
    expect(seen).toEqual(['on 1 #1', 'once 1', 'on 2 #2'])
    expect(s.listenerCount('value')).toBe(0)
  })

  it('drops an unheard error instead of throwing', () => {
    expect(() => new Source().fail(new Error('x'))).not.toThrow()
  })

  it('a throwing listener does not stop the next one; its error surfaces in a microtask', async () => {
    const s = new Source()
    const seen: number[] = []
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve))
    s.on('value', () => {
      throw new Error('listener bug')
    })
    s.on('value', (n) => seen.push(n))
    s.fire(7)
    expect(seen).toEqual([7])
    expect(await thrown).toMatchObject({ message: 'listener bug' })
  })
})
