import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import { writeContent } from './helpers.js'

/** Files of a multi-file torrent whose 32 KiB pieces straddle every file boundary. */
export const WEB_SEED_FILES = {
  'a.bin': 100_000,
  'sub dir/b c.bin': 50_001,
  'sub dir/d%e.bin': 140_000,
}
/** Piece length of the web seed test torrents. */
export const WEB_SEED_PIECE = 32_768

/** Writes the content below `<root>/<name>` and makes a v1 torrent of it (with `urlList`, if any). */
export async function webSeedContent(
  root: string,
  name: string,
  urlList?: string[],
  sizes: Record<string, number> = WEB_SEED_FILES,
) {
  const files = await writeContent(join(root, name), sizes)
  const { torrent, metainfo } = await createTorrent(join(root, name), {
    version: 1,
    pieceLength: WEB_SEED_PIECE,
    urlList,
    creationDate: false,
  })
  return { files, torrent, metainfo }
}

/** How the test web server answers a request: serve it, or misbehave. */
export type Misbehaviour = 'serve' | 'corrupt' | '404' | '503' | 'hang'

/** A Node HTTP server on 127.0.0.1 serving `root` with ranges, misbehaving as `policy` says per request. */
export async function startWebServer(
  root: string,
  policy: (n: number) => Misbehaviour,
): Promise<{ url: string; server: Server; requests: string[] }> {
  const { readFile } = await import('node:fs/promises')
  const requests: string[] = []
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname)
    requests.push(`${path} ${req.headers.range ?? ''}`)
    const mode = policy(requests.length)
    if (mode === '404' || mode === '503') {
      res.writeHead(Number(mode), mode === '503' ? { 'retry-after': '0' } : {})
      res.end()
      return
    }
    if (mode === 'hang') return // no answer: the client's timeout must end it
    const body = await readFile(join(root, path)).catch(() => undefined)
    if (!body) {
      res.writeHead(404).end()
      return
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
    const start = m ? Number(m[1]) : 0
    const end = m ? Math.min(Number(m[2]), body.length - 1) : body.length - 1
    const part = Buffer.from(body.subarray(start, end + 1))
    if (mode === 'corrupt') for (let i = 0; i < part.length; i += 997) part[i]! ^= 0xff
    res.writeHead(m ? 206 : 200, {
      'content-length': part.length,
      ...(m ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
    })
    res.end(part)
  }
  const server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    requests,
  }
}

/** Closes a test web server, cutting its open connections. */
export async function stopWebServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
}
