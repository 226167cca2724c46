import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { pipeline } from 'node:stream'
import type { TorrentFile } from './torrent-file.js'

/** What the server needs of a torrent (a `Torrent`; structural, so torrent.ts can use this file). */
interface Torrent {
  readonly infoHash: string
  readonly name: string
  readonly files: TorrentFile[]
  stats(): { progress: number }
}

/** Content types by file extension (lower case); anything else is `application/octet-stream`. */
const CONTENT_TYPES: Record<string, string> = {
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  ogv: 'video/ogg',
  avi: 'video/x-msvideo',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  txt: 'text/plain; charset=utf-8',
  srt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  iso: 'application/x-iso9660-image',
}

/** The content type of a file name, from its extension. */
export function contentType(name: string): string {
  const dot = name.lastIndexOf('.')
  return (dot >= 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream'
}

/** A parsed `Range` header: one satisfiable range, `unsatisfiable`, or `undefined` (serve it all). */
export function parseRange(
  header: string | undefined,
  length: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/)
  // Several ranges, other units or a malformed header: the whole file (RFC 9110 lets a server ignore it).
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, length - suffix)
    end = length - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
    if (m[2] !== '' && Number(m[2]) < start) return undefined
  }
  if (start >= length || !Number.isSafeInteger(start)) return 'unsatisfiable'
  return { start, end }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A file path as URL path components, each percent-encoded. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/')

/**
 * The URL path under which `client.createServer()` serves a file: `/<info hash>/<path>`, each
 * component percent-encoded (`torrent.createServer()` serves it at `/<path>`).
 */
export function fileUrlPath(infoHash: string, path: string): string {
  return `/${infoHash}/${encodePath(path)}`
}

/**
 * What a server serves: every torrent of a client, each under `/<info hash>/`, or one torrent, its files
 * right under `/`.
 */
type Scope = { client: () => Torrent[] } | { torrent: Torrent }

const torrentsOf = (scope: Scope) => ('client' in scope ? scope.client() : [scope.torrent])

/** The URL path of a file in `scope`. */
const urlOf = (scope: Scope, t: Torrent, path: string) =>
  'client' in scope ? fileUrlPath(t.infoHash, path) : `/${encodePath(path)}`

/** The torrent and file path that decoded URL path components name in `scope`. */
function resolvePath(scope: Scope, parts: string[]): { t: Torrent | undefined; path: string } {
  if (!('client' in scope)) return { t: scope.torrent, path: parts.join('/') }
  const [infoHash, ...path] = parts
  return { t: scope.client().find((x) => x.infoHash === infoHash?.toLowerCase()), path: path.join('/') }
}

function index(scope: Scope): { json: string; html: string } {
  const list = torrentsOf(scope).map((t) => ({
    infoHash: t.infoHash,
    name: t.name,
    progress: t.stats().progress,
    files: t.files.map((f) => ({
      path: f.path,
      length: f.length,
      progress: f.progress,
      url: urlOf(scope, t, f.path),
    })),
  }))
  const items = list
    .map(
      (t) =>
        `<h2>${escapeHtml(t.name)}</h2>\n<ul>\n${t.files
          .map(
            (f) =>
              `<li><a href="${escapeHtml(f.url)}">${escapeHtml(f.path)}</a> (${f.length} bytes, ${Math.floor(f.progress * 100)} %)</li>`,
          )
          .join('\n')}\n</ul>`,
    )
    .join('\n')
  return {
    json: JSON.stringify({ torrents: list }),
    html: `<!doctype html>\n<meta charset="utf-8">\n<title>p2p</title>\n${items}\n`,
  }
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
  res.end(`${text}\n`)
}

/**
 * @internal Handles one request: `/` lists every torrent's files (HTML, or JSON for `/index.json` or
 * `Accept: application/json`), `/<info hash>/<file path>` (`/<file path>` for one torrent) serves a file with ranges (`206`, `416`),
 * `HEAD`, `If-Range` and a strong ETag (the bytes are verified, they never change).
 */
function handle(scope: Scope, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'method not allowed', { Allow: 'GET, HEAD' })
    return
  }
  const rawPath = (req.url ?? '/').split('?')[0]!
  let parts: string[]
  try {
    parts = rawPath.split('/').slice(1).map(decodeURIComponent)
  } catch {
    reply(res, 400, 'bad path')
    return
  }
  if (parts.some((p) => p === '..' || p === '.' || p.includes('/') || p.includes('\\') || p.includes('\0'))) {
    reply(res, 403, 'path outside the torrent')
    return
  }
  if (rawPath === '/' || rawPath === '/index.json') {
    const { json, html } = index(scope)
    const asJson = rawPath === '/index.json' || /application\/json/.test(req.headers.accept ?? '')
    const body = asJson ? json : html
    res.writeHead(200, {
      'Content-Type': asJson ? 'application/json' : 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  const { t, path } = resolvePath(scope, parts)
  const file = t?.files.find((f) => f.path === path)
  if (!t || !file) {
    reply(res, 404, 'no such file')
    return
  }
  serveFile(t, file, req, res)
}

function serveFile(t: Torrent, file: TorrentFile, req: IncomingMessage, res: ServerResponse): void {
  const etag = `"${t.infoHash}-${file.index}"`
  const ifRange = req.headers['if-range']
  const range =
    ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, file.length) : undefined
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': contentType(file.name),
    ETag: etag,
  }
  if (range === 'unsatisfiable') {
    reply(res, 416, 'range not satisfiable', {
      ...headers,
      'Content-Range': `bytes */${file.length}`,
    } as Record<string, string>)
    return
  }
  const start = range?.start ?? 0
  const end = range?.end ?? file.length - 1
  headers['Content-Length'] = end - start + 1
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${file.length}`
  res.writeHead(range ? 206 : 200, headers)
  if (req.method === 'HEAD' || file.length === 0) {
    res.end()
    return
  }
  let stream: ReturnType<TorrentFile['createReadStream']>
  try {
    stream = file.createReadStream({ start, end })
  } catch {
    res.destroy()
    return
  }
  // A client that goes away destroys the stream (its deadlines go); a removed torrent cuts the response.
  pipeline(stream, res, () => {})
}

/**
 * @internal An HTTP server (call `listen` on it; bind it to 127.0.0.1 unless others should reach it) of
 * a client's torrents (`{ client }`: each under `/<info hash>/`) or of one torrent (`{ torrent }`: its
 * files under `/`): see {@link handle} for what it serves.
 */
export function createFileServer(scope: Scope): Server {
  const { createServer } = load('node:http') as typeof import('node:http')
  return createServer((req, res) => handle(scope, req, res))
}

/** Loads node:http on first use: a client that serves nothing (a download) does not carry it (about 0.8 MiB of RSS). */
const load = createRequire(import.meta.url)
