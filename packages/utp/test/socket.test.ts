import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { UtpSocket, type UtpStream } from '@p2p/utp'
import { afterEach, describe, expect, it } from 'vitest'

const sockets: UtpSocket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close()
})

async function pair(): Promise<{ server: UtpSocket; client: UtpSocket; port: number }> {
  const server = new UtpSocket()
  const client = new UtpSocket()
  sockets.push(server, client)
  await server.listen(0, '127.0.0.1')
  await client.bind(0, '127.0.0.1')
  return { server, client, port: server.address().port }
}

function collect(stream: UtpStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
  })
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('UtpSocket over UDP loopback', () => {
  it('sends what was written even when the writer reuses its buffer after each write callback', async () => {
    const { server, client, port } = await pair()
    const accepted = once(server, 'connection') as Promise<[UtpStream]>
    const out = client.connect(port, '127.0.0.1')
    await once(out, 'connect')
    const [inc] = await accepted
    const received = collect(inc)
    // One buffer, refilled after each write's callback (packets still in flight hold views of the stream's copy).
    const buffer = Buffer.alloc(64 * 1024)
    const expected: Buffer[] = []
    for (let i = 0; i < 64; i++) {
      buffer.fill(i)
      expected.push(Buffer.from(buffer))
      await new Promise<void>((resolve, reject) =>
        out.write(buffer, (err) => (err ? reject(err) : resolve())),
      )
    }
    buffer.fill(255)
    out.end()
    expect(sha(await received)).toBe(sha(Buffer.concat(expected)))
  })

  it('transfers several MiB each way between two sockets with backpressure', async () => {
    const { server, client, port } = await pair()
    const up = randomBytes(4 << 20)
    const down = randomBytes(3 << 20)
    const accepted = once(server, 'connection') as Promise<[UtpStream]>
    const out = client.connect(port, '127.0.0.1')
    await once(out, 'connect')
    const [inc] = await accepted
    expect(inc.remoteAddress).toBe('127.0.0.1')
    expect(inc.remotePort).toBe(client.address().port)
    const gotUp = collect(inc)
    const gotDown = collect(out)
    out.end(up)
    inc.end(down)
    expect(sha(await gotUp)).toBe(sha(up))
    expect(sha(await gotDown)).toBe(sha(down))
  })

  it('carries many connections on one socket', async () => {
    const { server, client, port } = await pair()
    const echoed: Promise<void>[] = []
    server.on('connection', (s) => s.pipe(s))
    for (let i = 0; i < 8; i++) {
      const data = randomBytes(100_000 + i)
      const s = client.connect(port, '127.0.0.1')
      echoed.push(collect(s).then((got) => expect(sha(got)).toBe(sha(data))))
      s.end(data)
    }
    await Promise.all(echoed)
  })

  it('refuses connections when not listening: the connect fails with UTP_RESET', async () => {
    const a = new UtpSocket()
    const b = new UtpSocket()
    sockets.push(a, b)
    await a.bind(0, '127.0.0.1')
    await b.bind(0, '127.0.0.1')
    const s = b.connect(a.address().port, '127.0.0.1')
    const [error] = (await once(s, 'error')) as [{ code: string }]
    expect(error.code).toBe('UTP_RESET')
    expect(a.stats.refused).toBe(1)
  })

  it('hands datagrams that are not uTP to onMessage', async () => {
    const seen: string[] = []
    const a = new UtpSocket({ onMessage: (m) => seen.push(m.toString()) })
    const b = new UtpSocket()
    sockets.push(a, b)
    await a.listen(0, '127.0.0.1')
    await b.bind(0, '127.0.0.1')
    b.send(
      Buffer.from('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe'),
      a.address().port,
      '127.0.0.1',
    )
    await new Promise((r) => setTimeout(r, 100))
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 20))
    expect(seen[0]!.startsWith('d1:ad2:id')).toBe(true)
  })
})
