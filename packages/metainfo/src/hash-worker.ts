/**
 * Source of the hashing worker, run with `new Worker(source, { eval: true })` so it works from the
 * TypeScript sources, the ESM and the CJS builds alike.
 * @internal
 */
export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
let readBuf = Buffer.alloc(0)
function readSegments(segs, total) {
  if (readBuf.length < total) readBuf = Buffer.allocUnsafeSlow(total)
  let o = 0
  for (const s of segs) {
    const fd = fs.openSync(s.path, 'r')
    try {
      let done = 0
      while (done < s.length) {
        const n = fs.readSync(fd, readBuf, o + done, s.length - done, s.position + done)
        if (n === 0) { const e = new Error('file is shorter than expected: ' + s.path); e.code = 'EIO'; throw e }
        done += n
      }
    } finally {
      fs.closeSync(fd)
    }
    o += s.length
  }
  return readBuf.subarray(0, total)
}
const BLOCK = 16384
const ZERO = Buffer.alloc(32)
const pads = [ZERO]
function pad(d) { while (pads.length <= d) { const h = pads[pads.length - 1]; pads.push(createHash('sha256').update(h).update(h).digest()) } return pads[d] }
function root(data, leafCount) {
  let level = []
  for (let o = 0; o < data.length; o += BLOCK) level.push(createHash('sha256').update(data.subarray(o, o + BLOCK)).digest())
  let depth = 0
  let width = leafCount
  while (width > 1) {
    const next = []
    const p = pad(depth)
    for (let i = 0; i < level.length; i += 2) next.push(createHash('sha256').update(level[i]).update(i + 1 < level.length ? level[i + 1] : p).digest())
    level = next
    depth++
    width /= 2
  }
  return level.length ? level[0] : pad(depth)
}
let zeros = Buffer.alloc(0)
parentPort.on('message', (m) => {
  try {
    const data = m.segments ? readSegments(m.segments, m.total) : Buffer.from(m.buffer, m.byteOffset, m.byteLength)
    let result
    if (m.op === 'sha1' || m.op === 'sha256') {
      result = { digest: createHash(m.op).update(data).digest() }
    } else if (m.op === 'root') {
      result = { digest: root(data, m.leafCount) }
    } else {
      // 'pieces': consecutive pieces of pieceLength (the last may be short)
      const n = Math.ceil(data.length / m.pieceLength)
      const sha1 = m.sha1 ? Buffer.alloc(n * 20) : undefined
      const roots = m.leafCount ? Buffer.alloc(n * 32) : undefined
      for (let i = 0; i < n; i++) {
        const piece = data.subarray(i * m.pieceLength, (i + 1) * m.pieceLength)
        if (sha1) {
          const h = createHash('sha1').update(piece)
          const missing = m.padTo ? m.padTo - piece.length : 0
          if (missing > 0) {
            if (zeros.length < missing) zeros = Buffer.alloc(missing)
            h.update(zeros.subarray(0, missing))
          }
          h.digest().copy(sha1, i * 20)
        }
        if (roots) root(piece, m.leafCount).copy(roots, i * 32)
      }
      result = { sha1, roots }
    }
    parentPort.postMessage({ id: m.id, ...result })
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message || err), io: !!(err && err.code) })
  }
})
`
