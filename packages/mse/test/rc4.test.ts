import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Rc4 } from '@p2p/mse'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const ascii = (s: string) => Buffer.from(s, 'latin1')

describe('Rc4', () => {
  it('matches the published RC4 test vectors (no discard)', () => {
    const vectors: [string, string, string][] = [
      ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
      ['Wiki', 'pedia', '1021bf0420'],
      ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
    ]
    for (const [key, plain, cipher] of vectors) {
      expect(hex(new Rc4(ascii(key), 0).update(ascii(plain)))).toBe(cipher)
    }
  })

  it('matches RFC 6229 keystream offsets (key 0x0102030405, bytes 0, 1024 and 1536)', () => {
    const key = Buffer.from('0102030405', 'hex')
    const stream = new Rc4(key, 0).update(new Uint8Array(1552))
    expect(hex(stream.subarray(0, 16))).toBe('b2396305f03dc027ccc3524a0a1118a8')
    expect(hex(stream.subarray(1024, 1040))).toBe('30abbcc7c20b01609f23ee2d5f6bb7df')
    expect(hex(stream.subarray(1536, 1552))).toBe('d8729db41882259bee4f825325f5a130')
    // MSE's discard of 1024 starts the stream at offset 1024.
    expect(hex(new Rc4(key).update(new Uint8Array(16)))).toBe('30abbcc7c20b01609f23ee2d5f6bb7df')
  })

  it('matches OpenSSL RC4 (Node with --openssl-legacy-provider) after the 1024-byte discard', () => {
    const cases = Array.from({ length: 8 }, (_, i) => ({
      key: randomBytes(i === 0 ? 1 : 20),
      data: randomBytes(1 + i * 7919),
    }))
    const script = `
      const c = require('node:crypto')
      const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'))
      const out = cases.map(({ key, data }) => {
        const d = Buffer.from(data, 'hex')
        const x = c.createCipheriv('rc4', Buffer.from(key, 'hex'), null)
        return x.update(Buffer.concat([Buffer.alloc(1024), d])).subarray(1024).toString('hex')
      })
      process.stdout.write(JSON.stringify(out))`
    const arg = JSON.stringify(cases.map((c) => ({ key: hex(c.key), data: hex(c.data) })))
    const run = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', script], {
      input: arg,
      encoding: 'utf8',
    })
    expect(run.error).toBeUndefined()
    expect(run.stderr).toBe('')
    const reference = JSON.parse(run.stdout) as string[]
    expect(reference).toHaveLength(cases.length)
    cases.forEach((c, i) => {
      expect(hex(new Rc4(c.key).update(Buffer.from(c.data)))).toBe(reference[i])
    })
  })

  it('gives the same stream however the input is chunked, in place or into another buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(3000), { maxLength: 6 }),
        (key, data, cuts) => {
          const whole = new Rc4(key).update(data, new Uint8Array(data.length))
          const rc4 = new Rc4(key)
          const inPlace = data.slice()
          const points = [...new Set([0, ...cuts.map((c) => c % (data.length + 1)), data.length])].sort(
            (a, b) => a - b,
          )
          for (let i = 1; i < points.length; i++) rc4.update(inPlace.subarray(points[i - 1], points[i]))
          expect(hex(inPlace)).toBe(hex(whole))
          // into a buffer at any alignment
          for (let off = 1; off < 4; off++) {
            const dst = new Uint8Array(data.length + 4).subarray(off, off + data.length)
            expect(hex(new Rc4(key).update(data, dst))).toBe(hex(whole))
          }
          // decrypting is the same operation
          expect(hex(new Rc4(key).update(whole, new Uint8Array(whole.length)))).toBe(hex(data))
        },
      ),
    )
  })

  it('rejects empty and over-long keys with a code', () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'MSE_INVALID_ARGUMENT' }),
    )
    expect(() => new Rc4(new Uint8Array(257))).toThrow(
      expect.objectContaining({ code: 'MSE_INVALID_ARGUMENT' }),
    )
  })
})
