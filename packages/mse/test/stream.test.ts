import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  isPlainHandshake,
  type MseStream,
  mseHandshake,
  PLAIN_PREFIX,
} from '@p2p/mse'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BOTH, lookup, RawInitiator, SKEY } from './helpers.js'

const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** A TCP server on 127.0.0.1 whose accepted sockets are handed to `onSocket`. */
async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket)
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

/** A server whose first connection runs the responder; `result` settles with its outcome. */
async function acceptOne(
  findSkey = lookup(SKEY),
  allowed = BOTH,
): Promise<{ port: number; result: Promise<MseStream> }> {
  let settle!: (p: Promise<MseStream>) => void
  const result = new Promise<MseStream>((resolve, reject) => {
    settle = (p) => p.then(resolve, reject)
  })
  const port = await listen((s) => settle(mseHandshake(s, { role: 'responder', findSkey, allowed })))
  return { port, result }
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1')
  await once(s, 'connect')
  return s
}

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex')

async function readAll(stream: MseStream, length: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of stream) {
    parts.push(chunk as Buffer)
    n += (chunk as Buffer).length
    if (n >= length) break
  }
  return Buffer.concat(parts)
}

describe('mseHandshake over TCP loopback (ours <-> ours)', () => {
  for (const [name, allowedB, method] of [
    ['RC4', BOTH, 'rc4'],
    ['plaintext', CRYPTO_PLAINTEXT, 'plaintext'],
  ] as const) {
    it(`${name}: both directions carry 4 MiB intact, with backpressure`, async () => {
      const data = randomBytes(4 * 1024 * 1024)
      const { port, result } = await acceptOne(lookup(SKEY), allowedB)
      const a = await mseHandshake(await dial(port), { role: 'initiator', skey: SKEY, allowed: BOTH })
      const b = await result
      expect([a.method, b.method]).toEqual([method, method])
      expect(b.remoteAddress).toBe('127.0.0.1')
      const gotByB = readAll(b, data.length)
      const gotByA = readAll(a, data.length)
      for (let i = 0; i < data.length; i += 100_000) {
        const slice = data.subarray(i, i + 100_000)
        if (!a.write(slice)) await once(a, 'drain')
        if (!b.write(slice)) await once(b, 'drain')
      }
      expect(sha1(await gotByB)).toBe(sha1(data))
      expect(sha1(await gotByA)).toBe(sha1(data))
      // reading to the end destroyed both streams (for await ... break), and with them the sockets
      expect([a.destroyed, b.destroyed]).toEqual([true, true])
    })
  }

  it('garbage after the handshake reaches the upper layer decrypted, unchanged in length', async () => {
    const { port, result } = await acceptOne()
    const s = await dial(port)
    const raw = new RawInitiator()
    s.write(raw.hello(100))
    const [yb] = (await once(s, 'data')) as [Buffer]
    s.write(raw.third(yb.subarray(0, 96), { ia: PLAIN_PREFIX }))
    s.write(raw.encrypt!.update(randomBytes(5000)))
    const b = await result
    const got = await readAll(b, PLAIN_PREFIX.length + 5000)
    expect(isPlainHandshake(got)).toBe(true)
    expect(got.length).toBe(PLAIN_PREFIX.length + 5000)
    b.destroy()
  })
})

describe('MseStream hot path: reused read buffer, pooled write buffers', () => {
  it('reads into a reused buffer are decrypted in place and handed to the receiver', async () => {
    const data = randomBytes(2 * 1024 * 1024)
    const { port, result } = await acceptOne()
    const readBuffer = Buffer.allocUnsafeSlow(16 * 1024)
    let deliver: ((chunk: Uint8Array) => void) | undefined
    const s = connect({
      port,
      host: '127.0.0.1',
      onread: {
        buffer: readBuffer,
        callback: (n, buf) => {
          deliver?.(buf.subarray(0, n))
          return true
        },
      },
    })
    await once(s, 'connect')
    const a = await mseHandshake(s, {
      role: 'initiator',
      skey: SKEY,
      allowed: CRYPTO_RC4,
      manualReads: (fn) => {
        deliver = fn
      },
    })
    const b = await result
    expect(a.method).toBe('rc4')
    const parts: Buffer[] = []
    let inReadBuffer = 0
    let got = 0
    const all = new Promise<void>((resolve) => {
      a.setReceiver((chunk) => {
        if (chunk.buffer === readBuffer.buffer) inReadBuffer++
        parts.push(Buffer.from(chunk))
        got += chunk.length
        if (got >= data.length) resolve()
      })
    })
    a.resume()
    for (let i = 0; i < data.length; i += 100_000) {
      if (!b.write(data.subarray(i, i + 100_000))) await once(b, 'drain')
    }
    await all
    expect(sha1(Buffer.concat(parts))).toBe(sha1(data))
    // every read after the handshake was decrypted where it landed: no per-read buffer
    expect(inReadBuffer).toBe(parts.length)
    a.destroy()
    b.destroy()
  })

  it('the receiver gets the bytes that came with the handshake first; too late after data', async () => {
    const { port, result } = await acceptOne()
    const s = await dial(port)
    const raw = new RawInitiator()
    s.write(raw.hello(10))
    const [yb] = (await once(s, 'data')) as [Buffer]
    s.write(
      Buffer.concat([
        raw.third(yb.subarray(0, 96), { ia: PLAIN_PREFIX }),
        raw.encrypt!.update(Buffer.from('after')),
      ]),
    )
    const b = await result
    const got: Buffer[] = []
    b.setReceiver((chunk) => got.push(Buffer.from(chunk)))
    b.resume()
    await vi.waitFor(() => expect(Buffer.concat(got).length).toBe(PLAIN_PREFIX.length + 5))
    expect(Buffer.concat(got).toString('latin1')).toBe(`${PLAIN_PREFIX.toString('latin1')}after`)
    b.destroy()
    s.destroy()
    // a stream that already emitted data refuses a receiver (the order of bytes would break)
    const c = await acceptOne()
    const a2 = mseHandshake(await dial(c.port), { role: 'initiator', skey: SKEY, allowed: BOTH })
    const [x, y] = await Promise.all([a2, c.result])
    const first = once(y, 'data')
    x.write(Buffer.from('hello'))
    await first
    expect(() => y.setReceiver(() => {})).toThrow(expect.objectContaining({ code: 'MSE_INVALID_ARGUMENT' }))
    x.destroy()
    y.destroy()
  })

  it('RC4 writes over a socket reuse a few pooled buffers; bytes arrive intact', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 777)
    const { port, result } = await acceptOne()
    const socket = await dial(port)
    const buffers = new Set<ArrayBufferLike>()
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
    socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      if (chunk.length > 4096) buffers.add(chunk.buffer)
      return write(chunk, ...rest)
    }) as typeof socket.write
    const a = await mseHandshake(socket, { role: 'initiator', skey: SKEY, allowed: CRYPTO_RC4 })
    const b = await result
    const got = readAll(b, data.length)
    let writes = 0
    // sizes that cross the pool's buffer boundaries, some written together (corked: one writev)
    for (let i = 0; i < data.length; ) {
      const n = [100_000, 17, 65_536, 70_000, 5000][writes++ % 5]!
      a.cork()
      a.write(data.subarray(i, i + n))
      a.write(data.subarray(i + n, i + 2 * n))
      a.uncork()
      i += 2 * n
      if (a.writableLength > 0) await once(a, 'drain')
      else await new Promise(setImmediate)
    }
    expect(sha1(await got)).toBe(sha1(data))
    expect(writes).toBeGreaterThan(20)
    // a fresh buffer per write would be one per write; the pool keeps at most a handful in use
    expect(buffers.size).toBeLessThan(writes / 2)
    a.destroy()
  })
})

describe('mseHandshake failures (real sockets)', () => {
  it('a peer that floods garbage is cut off after a bounded read: MSE_NO_SYNC, socket closed', async () => {
    const { port, result } = await acceptOne()
    const s = await dial(port)
    s.on('error', () => {})
    let sent = 0
    const closed = new Promise((r) => s.on('close', r))
    const pump = () => {
      while (!s.destroyed && sent < 64 * 1024 * 1024 && s.write(randomBytes(16 * 1024))) sent += 16 * 1024
    }
    s.on('drain', pump)
    pump()
    await expect(result).rejects.toMatchObject({ code: 'MSE_NO_SYNC' })
    await closed
    expect(sent).toBeLessThan(64 * 1024 * 1024)
  })

  it('a truncated key then a close: MSE_CLOSED', async () => {
    const { port, result } = await acceptOne()
    ;(await dial(port)).end(new RawInitiator().hello().subarray(0, 50))
    await expect(result).rejects.toMatchObject({ code: 'MSE_CLOSED' })
  })

  it('silence: MSE_TIMEOUT; an abort: MSE_ABORTED', async () => {
    const port = await listen(() => {})
    await expect(
      mseHandshake(await dial(port), { role: 'initiator', skey: SKEY, allowed: CRYPTO_RC4, timeout: 50 }),
    ).rejects.toMatchObject({
      code: 'MSE_TIMEOUT',
    })
    const ac = new AbortController()
    const p = mseHandshake(await dial(port), {
      role: 'initiator',
      skey: SKEY,
      allowed: CRYPTO_RC4,
      signal: ac.signal,
    })
    ac.abort()
    await expect(p).rejects.toMatchObject({ code: 'MSE_ABORTED' })
  })

  it('times out on the clock it is given (a virtual one), and its keys come from randomBytes', async () => {
    const port = await listen(() => {})
    const timers: { fn: () => void; ms: number }[] = []
    const clock = {
      setTimeout: (fn: () => void, ms: number) => timers.push({ fn, ms }),
      clearTimeout: () => {},
    }
    const drawn: number[] = []
    const p = mseHandshake(await dial(port), {
      role: 'initiator',
      skey: SKEY,
      allowed: CRYPTO_RC4,
      timeout: 1e9,
      clock,
      randomBytes: (n) => {
        drawn.push(n)
        return new Uint8Array(n).fill(7)
      },
    })
    expect(timers.map((t) => t.ms)).toEqual([1e9])
    expect(drawn[0]).toBe(20) // the private key
    timers[0]!.fn()
    await expect(p).rejects.toMatchObject({ code: 'MSE_TIMEOUT' })
  })

  it('an unknown torrent: MSE_UNKNOWN_TORRENT on the responder, MSE_CLOSED on the initiator', async () => {
    const { port, result } = await acceptOne(lookup(Buffer.alloc(20, 1)))
    const initiator = mseHandshake(await dial(port), { role: 'initiator', skey: SKEY, allowed: BOTH })
    await expect(result).rejects.toMatchObject({ code: 'MSE_UNKNOWN_TORRENT' })
    await expect(initiator).rejects.toMatchObject({ code: 'MSE_CLOSED' })
  })

  it('tells a plain handshake from an MSE key by its first 20 bytes', () => {
    expect(isPlainHandshake(Buffer.concat([PLAIN_PREFIX, Buffer.alloc(48)]))).toBe(true)
    expect(isPlainHandshake(new RawInitiator().hello())).toBe(false)
    expect(isPlainHandshake(PLAIN_PREFIX.subarray(0, 19))).toBe(false)
  })
})
