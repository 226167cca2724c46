import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { CRYPTO_RC4, type MseStream, mseHandshake, req2Hash } from '@p2p/mse'
import { encodeHandshake } from '@p2p/peer-wire'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { dialPeer } from '../src/encryption.js'
import { systemRuntime } from '../src/system-runtime.js'
import { tcpTransport } from '../src/tcp-transport.js'

const SKEY = Buffer.alloc(20, 0x5a)
const HANDSHAKE = encodeHandshake({ infoHash: SKEY, peerId: Buffer.alloc(20, 1), fast: true, extended: true })
const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

describe('dialPeer over TCP with MSE', () => {
  it('decrypts reads in the transport reused buffer: every chunk after the handshake shares one buffer', async () => {
    const data = Buffer.alloc(2 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 255
    let responder!: Promise<MseStream>
    const server = createServer((s) => {
      responder = mseHandshake(s, {
        role: 'responder',
        findSkey: (req2) => (req2Hash(SKEY).equals(req2) ? SKEY : undefined),
        allowed: CRYPTO_RC4,
      })
    })
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    const c = await dialPeer(
      { host: '127.0.0.1', port },
      SKEY,
      HANDSHAKE,
      { encryption: 'forced', encryptionLevel: 'rc4' },
      { ...systemRuntime, transport: tcpTransport },
      10_000,
      new AbortController().signal,
    )
    expect(c.encryption).toBe('rc4')
    const b = await responder
    const buffers = new Set<ArrayBufferLike>()
    const parts: Buffer[] = []
    let got = 0
    const all = new Promise<void>((resolve) => {
      c.stream!.setReceiver((chunk) => {
        buffers.add(chunk.buffer)
        parts.push(Buffer.from(chunk))
        got += chunk.length
        if (got >= data.length) resolve()
      })
    })
    c.stream!.resume()
    for (let i = 0; i < data.length; i += 100_000) {
      if (!b.write(data.subarray(i, i + 100_000))) await once(b, 'drain')
    }
    await all
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    expect(parts.length).toBeGreaterThan(1)
    expect(buffers.size).toBe(1)
    c.stream!.destroy()
    b.destroy()
  })

  it('sends our handshake as the initial payload; the first write of it is not sent again', async () => {
    let responder!: Promise<MseStream>
    const server = createServer((s) => {
      responder = mseHandshake(s, {
        role: 'responder',
        findSkey: (req2) => (req2Hash(SKEY).equals(req2) ? SKEY : undefined),
        allowed: CRYPTO_RC4,
      })
    })
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    const c = await dialPeer(
      { host: '127.0.0.1', port },
      SKEY,
      HANDSHAKE,
      { encryption: 'forced', encryptionLevel: 'rc4' },
      { ...systemRuntime, transport: tcpTransport },
      10_000,
      new AbortController().signal,
    )
    const b = await responder
    const got: Buffer[] = []
    b.on('data', (chunk: Buffer) => got.push(chunk))
    // it came with the MSE handshake, before anything was written
    await vi.waitFor(() => expect(Buffer.concat(got).equals(HANDSHAKE)).toBe(true))
    // the wire writes its handshake first, then messages: only the messages go out now
    c.stream!.write(HANDSHAKE)
    c.stream!.write(Buffer.from([0, 0, 0, 1, 2]))
    await vi.waitFor(() => expect(Buffer.concat(got).length).toBe(HANDSHAKE.length + 5))
    expect(Buffer.concat(got).equals(Buffer.concat([HANDSHAKE, Buffer.from([0, 0, 0, 1, 2])]))).toBe(true)
    c.stream!.destroy()
    b.destroy()
  })
})
