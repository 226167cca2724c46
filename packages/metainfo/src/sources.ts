import { open, readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { compareBytes, utf8Bytes } from './bytes.js'
import { fail, MetainfoError } from './errors.js'
import type { FileInput } from './types.js'

/** @internal A file to put in a torrent, with where its bytes come from. */
export interface SourceFile {
  /** Path components below the torrent name (`[]` for a single-file torrent). */
  path: string[]
  length: number
  attr?: string
  symlinkPath?: string[]
  fsPath?: string
  bytes?: Uint8Array
  stream?: () => AsyncIterable<Uint8Array>
}

/** @internal Reads a file's bytes sequentially into caller-given buffers. */
export interface Reader {
  /** Fills `into` completely unless the file ends; returns bytes written. */
  read(into: Uint8Array): Promise<number>
  close(): Promise<void>
}

/** @internal Opens a reader over one source file. */
export async function openReader(f: SourceFile): Promise<Reader> {
  if (f.bytes) {
    let pos = 0
    const bytes = f.bytes
    return {
      async read(into) {
        const n = Math.min(into.length, bytes.length - pos)
        into.set(bytes.subarray(pos, pos + n))
        pos += n
        return n
      },
      async close() {},
    }
  }
  if (f.stream) {
    const it = f.stream()[Symbol.asyncIterator]()
    let pending: Uint8Array | undefined
    let done = false
    return {
      async read(into) {
        let n = 0
        while (n < into.length) {
          if (!pending || pending.length === 0) {
            if (done) break
            const r = await it.next()
            if (r.done) {
              done = true
              break
            }
            pending = r.value
            continue
          }
          const k = Math.min(pending.length, into.length - n)
          into.set(pending.subarray(0, k), n)
          pending = pending.subarray(k)
          n += k
        }
        return n
      },
      async close() {
        if (!done) await it.return?.()
      },
    }
  }
  let fh: Awaited<ReturnType<typeof open>>
  try {
    fh = await open(f.fsPath!, 'r')
  } catch (err) {
    fail('METAINFO_IO', `cannot open ${f.fsPath}: ${(err as Error).message}`, err)
  }
  let pos = 0
  return {
    async read(into) {
      let n = 0
      try {
        while (n < into.length) {
          const { bytesRead } = await fh.read(into, n, into.length - n, pos)
          if (bytesRead === 0) break
          n += bytesRead
          pos += bytesRead
        }
      } catch (err) {
        fail('METAINFO_IO', `cannot read ${f.fsPath}: ${(err as Error).message}`, err)
      }
      return n
    },
    close: () => fh.close(),
  }
}

/** Component-wise comparison by UTF-8 bytes: the order of a v2 file tree, and libtorrent's. */
export function comparePaths(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = compareBytes(utf8Bytes(a[i]!), utf8Bytes(b[i]!))
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** ASCII lower-casing, then bytes as C `char`s on x86 (signed: 0x80..0xff sort before ASCII). */
function transmissionByte(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 32
  return c >= 0x80 ? c - 256 : c
}

/**
 * transmission-create 3.00's file order: the whole relative path (`/`-joined UTF-8) compared with
 * libevent's `evutil_ascii_strcasecmp` (A-Z folded to a-z, bytes compared as signed `char`, so
 * non-ASCII sorts first and `ab\u00e9` before `ab`; `a b.c` before `a b/y` as `.` < `/`). Paths
 * equal but for case fall back to comparing path components by bytes (transmission's own tie order follows the
 * directory listing and cannot be reproduced).
 */
export function compareTransmission3(a: string[], b: string[]): number {
  const x = utf8Bytes(a.join('/'))
  const y = utf8Bytes(b.join('/'))
  for (let i = 0; ; i++) {
    const p = transmissionByte(x[i] ?? 0)
    const q = transmissionByte(y[i] ?? 0)
    if (p !== q) return p < q ? -1 : 1
    if (p === 0) return comparePaths(a, b)
  }
}

/** File orders `collectSources` can sort in. */
export type FileOrder = 'libtorrent' | 'transmission-3' | 'given'

function sortFiles(files: SourceFile[], order: FileOrder): SourceFile[] {
  if (order === 'given') return files
  const cmp = order === 'transmission-3' ? compareTransmission3 : comparePaths
  return [...files].sort((a, b) => cmp(a.path, b.path))
}

async function walk(
  dir: string,
  rel: string[],
  out: SourceFile[],
  o: { includeHidden: boolean; maxFiles: number },
): Promise<void> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    fail('METAINFO_IO', `cannot list ${dir}: ${(err as Error).message}`, err)
  }
  for (const e of entries) {
    if (!o.includeHidden && e.name.startsWith('.')) continue
    const full = join(dir, e.name)
    let s: import('node:fs').Stats
    try {
      s = await stat(full)
    } catch {
      continue // broken symlink
    }
    if (s.isDirectory()) await walk(full, [...rel, e.name], out, o)
    else if (s.isFile()) {
      if (out.length >= o.maxFiles) fail('METAINFO_INVALID_INPUT', `more than maxFiles (${o.maxFiles}) files`)
      const f: SourceFile = { path: [...rel, e.name], length: s.size, fsPath: full }
      if (s.mode & 0o100) f.attr = 'x'
      out.push(f)
    }
  }
}

/** @internal Turns createTorrent's input into a name and sorted files. */
export async function collectSources(
  input: string | Uint8Array | FileInput[],
  o: { name?: string; includeHidden: boolean; maxFiles: number; order: FileOrder },
): Promise<{ name: string; files: SourceFile[]; single: boolean }> {
  if (typeof input === 'string') {
    const full = resolve(input)
    let s: import('node:fs').Stats
    try {
      s = await stat(full)
    } catch (err) {
      fail('METAINFO_IO', `cannot read ${input}: ${(err as Error).message}`, err)
    }
    const name = o.name ?? basename(full)
    if (s.isFile()) {
      const f: SourceFile = { path: [], length: s.size, fsPath: full }
      if (s.mode & 0o100) f.attr = 'x'
      return { name, files: [f], single: true }
    }
    if (!s.isDirectory()) fail('METAINFO_INVALID_INPUT', `${input} is neither a file nor a directory`)
    const files: SourceFile[] = []
    await walk(full, [], files, o)
    if (files.length === 0) fail('METAINFO_INVALID_INPUT', `${input} holds no files`)
    return { name, files: sortFiles(files, o.order === 'given' ? 'libtorrent' : o.order), single: false }
  }
  if (input instanceof Uint8Array) {
    if (!o.name) fail('METAINFO_INVALID_INPUT', 'a name is required for Uint8Array input')
    return { name: o.name, files: [{ path: [], length: input.length, bytes: input }], single: true }
  }
  if (!Array.isArray(input) || input.length === 0)
    fail('METAINFO_INVALID_INPUT', 'no files to put in the torrent')
  const files: SourceFile[] = input.map((fi, i) => {
    const path = typeof fi.path === 'string' ? fi.path.split('/').filter((p) => p !== '') : [...fi.path]
    if (path.length === 0 || path.some((p) => p === '' || p === '.' || p === '..' || /[/\\\0]/.test(p))) {
      throw new MetainfoError(
        'METAINFO_INVALID_INPUT',
        `file ${i} has an unsafe path ${JSON.stringify(fi.path)}`,
      )
    }
    const symlink = fi.symlinkPath !== undefined
    if (!symlink && (!Number.isSafeInteger(fi.length) || fi.length < 0)) {
      throw new MetainfoError('METAINFO_INVALID_INPUT', `file ${i} has an invalid length ${fi.length}`)
    }
    if (!symlink && fi.length > 0 && !fi.bytes && !fi.stream) {
      throw new MetainfoError('METAINFO_INVALID_INPUT', `file ${i} has neither bytes nor stream`)
    }
    if (fi.bytes && fi.bytes.length !== fi.length) {
      throw new MetainfoError(
        'METAINFO_INVALID_INPUT',
        `file ${i}: bytes.length ${fi.bytes.length} != length ${fi.length}`,
      )
    }
    const f: SourceFile = { path, length: symlink ? 0 : fi.length }
    if (fi.bytes) f.bytes = fi.bytes
    if (fi.stream) f.stream = fi.stream
    const attr = `${fi.attr ?? ''}${symlink ? 'l' : ''}`.replace(/[^xhl]/g, '')
    if (attr) f.attr = attr
    if (symlink) f.symlinkPath = fi.symlinkPath!
    return f
  })
  const single = files.length === 1 && files[0]!.path.length === 1 && !o.name
  const name = o.name ?? (single ? files[0]!.path[0]! : undefined)
  if (!name) fail('METAINFO_INVALID_INPUT', 'a name is required for a multi-file torrent')
  if (single) files[0]!.path = []
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path))
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!.path
    const b = sorted[i]!.path
    if (a.length <= b.length && a.every((c, k) => c === b[k])) {
      fail(
        'METAINFO_INVALID_INPUT',
        `path ${a.join('/')} is both a file and ${a.length === b.length ? 'a duplicate' : 'a directory'}`,
      )
    }
  }
  return { name, files: o.order === 'libtorrent' ? sorted : sortFiles(files, o.order), single }
}
