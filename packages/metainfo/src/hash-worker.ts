import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import { loadBuiltin } from './load-builtin.js'

/**
 * Source of the hashing worker, run with `new Worker(source, { eval: true, execArgv: [] })` so it
 * works from the TypeScript sources, the ESM and the CJS builds alike. It runs as CommonJS, or as
 * an ES module when `NODE_OPTIONS` holds `--input-type=module` (then built-ins come from
 * `process.getBuiltinModule`), so it never depends on how the parent process was started. Run as
 * a function body on the calling thread (see {@link callingThreadRunner}) it returns `planRunner`.
 *
 * File chunks are read in blocks of at most 256 KiB (whole pieces when they fit) into one reused
 * buffer, half a page off the file position's page offset, and hashed while the block is still in
 * the CPU cache (SHA-1 per piece, one-shot when the piece is in one block; SHA-256 per 16 KiB leaf).
 * @internal
 */
export const WORKER_SOURCE = `
const load = typeof require === 'function' ? require : process.getBuiltinModule
const { parentPort } = load('node:worker_threads')
const crypto = load('node:crypto')
const { createHash } = crypto
const fs = load('node:fs')
// one-shot hashing (node >= 20.12) skips the Hash object: much cheaper for 64-byte tree nodes
const sha256 = crypto.hash ? (d) => crypto.hash('sha256', d, 'buffer') : (d) => createHash('sha256').update(d).digest()
const sha1Of = crypto.hash ? (d) => crypto.hash('sha1', d, 'buffer') : (d) => createHash('sha1').update(d).digest()
const pair = Buffer.alloc(64)
function hashPair(a, b) { a.copy(pair, 0); b.copy(pair, 32); return sha256(pair) }
const BLOCK = 16384
const READ = 262144
const ZERO = Buffer.alloc(32)
const pads = [ZERO]
function pad(d) { while (pads.length <= d) { const h = pads[pads.length - 1]; pads.push(hashPair(h, h)) } return pads[d] }
function treeRoot(level, leafCount) {
  let depth = 0
  let width = leafCount
  while (width > 1) {
    const next = []
    const p = pad(depth)
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], i + 1 < level.length ? level[i + 1] : p))
    level = next
    depth++
    width /= 2
  }
  return level.length ? level[0] : pad(depth)
}
function leaves(data, out) {
  for (let o = 0; o < data.length; o += BLOCK) out.push(sha256(data.subarray(o, o + BLOCK)))
  return out
}
function root(data, leafCount) { return treeRoot(leaves(data, []), leafCount) }
let zeros = Buffer.alloc(0)
function zeroBytes(n) { if (zeros.length < n) zeros = Buffer.alloc(n); return zeros.subarray(0, n) }
// The kernel's copy out of the page cache runs about 3x slower when the destination sits just
// after the source inside a 4 KiB page (measured here: 0.6-0.9 instead of 0.2 CPU s/GiB when
// (destination - file position) mod 4096 is below 64). The read buffer is WebAssembly memory, so
// it is page-aligned whatever malloc does, and every read lands half a page away from its file
// position's page offset (skew), in a buffer with a page of slack.
let readBuf = Buffer.alloc(0)
function readBuffer() {
  if (readBuf.length < READ + 4096) {
    readBuf = Buffer.from(new WebAssembly.Memory({ initial: Math.ceil((READ + 4096) / 65536) }).buffer)
  }
  return readBuf
}
function skew(position) { return (position + 2048) & 4032 }
function ioError(msg) { const e = new Error(msg); e.code = 'EIO'; return e }
/** Hashes consecutive pieces taken from get(n) blocks (into out.sha1 / out.roots at out.sha1At / out.rootAt). */
function hashPieces(total, m, get, out) {
  const n = Math.ceil(total / m.pieceLength)
  const sha1 = m.sha1 ? (out ? out.sha1.subarray(out.sha1At * 20) : Buffer.alloc(n * 20)) : undefined
  const roots = m.leafCount ? (out ? out.roots.subarray(out.rootAt * 32) : Buffer.alloc(n * 32)) : undefined
  if (m.pieceLength <= READ) {
    // whole pieces per block: one hashing call per piece
    const per = Math.floor(READ / m.pieceLength) * m.pieceLength
    let i = 0
    for (let off = 0; off < total; off += per) {
      const block = get(Math.min(per, total - off))
      for (let o = 0; o < block.length; o += m.pieceLength, i++) {
        const piece = block.subarray(o, o + m.pieceLength)
        if (sha1) {
          const missing = m.padTo ? m.padTo - piece.length : 0
          const d = missing > 0 ? createHash('sha1').update(piece).update(zeroBytes(missing)).digest() : sha1Of(piece)
          d.copy(sha1, i * 20)
        }
        if (roots) root(piece, m.leafCount).copy(roots, i * 32)
      }
    }
    return { sha1, roots }
  }
  const step = READ
  for (let i = 0; i < n; i++) {
    const len = Math.min(m.pieceLength, total - i * m.pieceLength)
    const h = sha1 ? createHash('sha1') : undefined
    const lv = roots ? [] : undefined
    for (let off = 0; off < len; off += step) {
      const block = get(Math.min(step, len - off))
      if (h) h.update(block)
      if (lv) leaves(block, lv)
    }
    if (h) {
      const missing = m.padTo ? m.padTo - len : 0
      if (missing > 0) h.update(zeroBytes(missing))
      h.digest().copy(sha1, i * 20)
    }
    if (roots) treeRoot(lv, m.leafCount).copy(roots, i * 32)
  }
  return { sha1, roots }
}
/**
 * A whole hashing plan shared by every worker: chunks (5 numbers each: first segment, segment
 * count, first SHA-1 piece or -1, first root or -1, leaf count) over file segments (3 numbers
 * each: file index, position, length). Workers claim chunks with an atomic counter (control[0]),
 * write digests straight into the shared outputs and stop early when control[1] is set.
 * planRunner(m, report) returns { step, close }: step() hashes one claimed chunk and returns false
 * when none is left (the calling thread runs it a chunk at a time between event-loop turns).
 */
function planRunner(m, report) {
  const control = new Int32Array(m.control)
  const chunks = new Float64Array(m.chunks)
  const segs = new Float64Array(m.segments)
  const out = {
    sha1: m.sha1Out ? Buffer.from(m.sha1Out) : undefined,
    roots: m.rootsOut ? Buffer.from(m.rootsOut) : undefined,
    sha1At: 0,
    rootAt: 0,
  }
  const count = chunks.length / 5
  const buf = readBuffer()
  let fd = -1
  let fdFile = -1
  let hashed = 0
  const close = () => {
    if (fd >= 0) fs.closeSync(fd)
    fd = -1
    if (hashed > 0 && m.progress) report(hashed)
    hashed = 0
  }
  const step = () => {
    if (Atomics.load(control, 1) !== 0) return false
    const c = Atomics.add(control, 0, 1)
    if (c >= count) return false
    try {
      const first = chunks[c * 5]
      const last = first + chunks[c * 5 + 1]
      let total = 0
      for (let k = first; k < last; k++) total += segs[k * 3 + 2]
      let k = first
      let pos = 0
      const get = (n) => {
        let o = 0
        let base = 0
        while (o < n) {
          if (k >= last) throw ioError('read past the planned segments')
          const file = segs[k * 3]
          if (file !== fdFile) {
            if (fd >= 0) fs.closeSync(fd)
            fd = -1
            fd = fs.openSync(m.paths[file], 'r')
            fdFile = file
          }
          const len = segs[k * 3 + 2]
          if (o === 0) base = skew(segs[k * 3 + 1] + pos)
          const got = fs.readSync(fd, buf, base + o, Math.min(n - o, len - pos), segs[k * 3 + 1] + pos)
          if (got === 0) throw ioError('file is shorter than expected: ' + m.paths[file])
          o += got
          pos += got
          if (pos === len) { k++; pos = 0 }
        }
        return buf.subarray(base, base + n)
      }
      out.sha1At = chunks[c * 5 + 2]
      out.rootAt = chunks[c * 5 + 3]
      const leafCount = chunks[c * 5 + 4]
      hashPieces(total, { pieceLength: m.pieceLength, sha1: out.sha1At >= 0, padTo: m.padTo, leafCount: out.rootAt >= 0 ? leafCount : 0 }, get, out)
      hashed += total
      if (m.progress && hashed >= m.progress) {
        report(hashed)
        hashed = 0
      }
      return true
    } catch (err) {
      Atomics.store(control, 1, 2)
      close()
      throw err
    }
  }
  return { step, close }
}
function runPlan(m) {
  const runner = planRunner(m, (progress) => parentPort.postMessage({ id: m.id, progress }))
  try {
    while (runner.step()) {}
  } finally {
    runner.close()
  }
  return {}
}
// on the calling thread (compiled by callingThreadRunner) only the functions are wanted
if (typeof callingThread === 'undefined') parentPort.on('message', (m) => {
  try {
    let result
    if (m.op === 'plan') result = runPlan(m)
    else {
      const data = Buffer.from(m.buffer, m.byteOffset, m.byteLength)
      if (m.op === 'sha1' || m.op === 'sha256') result = { digest: createHash(m.op).update(data).digest() }
      else if (m.op === 'root') result = { digest: root(data, m.leafCount) }
      else {
        let at = 0
        result = hashPieces(data.length, m, (k) => { const b = data.subarray(at, at + k); at += k; return b })
      }
    }
    parentPort.postMessage({ id: m.id, ...result })
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err), io: !!(err && err.code) })
  }
})
`

/** Runs a hashing plan a chunk at a time on the calling thread (shares the workers' counter). @internal */
export interface PlanRunner {
  /** Hashes the next unclaimed chunk; false when none is left or the plan was stopped. */
  step(): boolean
  /** Closes the open file and reports the last progress. */
  close(): void
}

let planRunnerFactory: ((msg: unknown, report: (bytes: number) => void) => PlanRunner) | undefined

/**
 * The worker's plan runner, compiled once on the calling thread from {@link WORKER_SOURCE} (one
 * source for both, so the calling thread hashes exactly as the workers do). @internal
 */
export function callingThreadRunner(msg: unknown, report: (bytes: number) => void): PlanRunner {
  if (!planRunnerFactory) {
    const builtins: Record<string, unknown> = {
      'node:worker_threads': loadBuiltin('node:worker_threads'),
      'node:crypto': crypto,
      'node:fs': fs,
    }
    const load = (id: string): unknown => builtins[id]
    const compiled = new Function('require', 'callingThread', `${WORKER_SOURCE}\nreturn { planRunner }`)(
      load,
      true,
    ) as { planRunner: typeof planRunnerFactory }
    planRunnerFactory = compiled.planRunner
  }
  return planRunnerFactory!(msg, report)
}
