// Decode/encode throughput of @p2p/bencode (built dist) against npm bencode@4, measured in the same
// run on the three corpora of the toolkit's benchmark set (corpora.mjs, a verbatim copy of
// shared/bench/bencode-corpora.mjs):
//   (a) the info dict of a 10,000-file torrent, (b) 10,000 tracker responses with 50 compact peers,
//   (c) 100,000 small KRPC get_peers queries.
// Prints MB/s (and messages/s for b and c) for both libraries and the ratio ours/npm; the issue's
// targets are decode >= 4x and encode >= 3x on every corpus. Run: pnpm --filter @p2p/bencode bench
// Options: --rounds N (default 7; the best round of each side is reported), --json (one JSON line).
import ref from 'bencode'
import { decode, encode } from '../dist/index.js'
import { corpusA, corpusB, corpusC, refEncode } from './corpora.mjs'

const TARGET = { decode: 4, encode: 3 }
const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 7
const json = args.includes('--json')

/** One workload: `run` does the work once and returns a checksum so nothing is optimised away. */
function corpora() {
  const a = corpusA()
  const aBytes = refEncode(a)
  const b = corpusB()
  const bBytes = b.map(refEncode)
  const c = corpusC()
  const cBytes = refEncode(c)
  const C_COUNT = 100_000
  const bTotal = bBytes.reduce((s, x) => s + x.length, 0)
  return [
    {
      name: 'a: 10,000-file info dict',
      bytes: aBytes.length,
      messages: 1,
      values: [a],
      encoded: [aBytes],
      repeat: 1,
    },
    {
      name: 'b: 10,000 tracker responses',
      bytes: bTotal,
      messages: b.length,
      values: b,
      encoded: bBytes,
      repeat: 1,
    },
    {
      name: 'c: 100,000 KRPC queries',
      bytes: cBytes.length * C_COUNT,
      messages: C_COUNT,
      values: [c],
      encoded: [cBytes],
      repeat: C_COUNT,
    },
  ]
}

function timeIt(fn) {
  const t0 = process.hrtime.bigint()
  const sink = fn()
  const ns = Number(process.hrtime.bigint() - t0)
  return { seconds: ns / 1e9, sink }
}

function decodeAll(impl, corpus) {
  return () => {
    let n = 0
    for (let r = 0; r < corpus.repeat; r++) {
      for (const buf of corpus.encoded) {
        const v = impl(buf)
        n += v === undefined ? 0 : 1
      }
    }
    return n
  }
}

function encodeAll(impl, corpus) {
  return () => {
    let n = 0
    for (let r = 0; r < corpus.repeat; r++) {
      for (const v of corpus.values) n += impl(v).length
    }
    return n
  }
}

/** Alternates the two sides round by round (so background load hits both alike); keeps each side's best. */
function compare(ours, theirs) {
  ours()
  theirs()
  let bestOurs = Number.POSITIVE_INFINITY
  let bestTheirs = Number.POSITIVE_INFINITY
  for (let i = 0; i < rounds; i++) {
    bestOurs = Math.min(bestOurs, timeIt(ours).seconds)
    bestTheirs = Math.min(bestTheirs, timeIt(theirs).seconds)
  }
  return { ours: bestOurs, theirs: bestTheirs }
}

function sameBytes(x, y) {
  return (
    x.length === y.length &&
    Buffer.compare(
      Buffer.from(x.buffer, x.byteOffset, x.length),
      Buffer.from(y.buffer, y.byteOffset, y.length),
    ) === 0
  )
}

const rows = []
let pass = true
for (const corpus of corpora()) {
  // Check both encoders produce the canonical bytes before timing anything.
  for (let i = 0; i < corpus.values.length; i++) {
    if (!sameBytes(encode(corpus.values[i]), corpus.encoded[i]))
      throw new Error(`${corpus.name}: our encoding differs`)
    if (!sameBytes(ref.encode(corpus.values[i]), corpus.encoded[i]))
      throw new Error(`${corpus.name}: npm encoding differs`)
  }
  for (const op of ['decode', 'encode']) {
    const t =
      op === 'decode'
        ? compare(decodeAll(decode, corpus), decodeAll(ref.decode, corpus))
        : compare(encodeAll(encode, corpus), encodeAll(ref.encode, corpus))
    const mb = corpus.bytes / 1e6
    const ratio = t.theirs / t.ours
    const ok = ratio >= TARGET[op]
    pass &&= ok
    rows.push({
      corpus: corpus.name,
      op,
      oursMBs: mb / t.ours,
      npmMBs: mb / t.theirs,
      oursMsgs: corpus.messages / t.ours,
      npmMsgs: corpus.messages / t.theirs,
      ratio,
      target: TARGET[op],
      ok,
    })
  }
}

if (json) {
  console.log(JSON.stringify({ node: process.version, rounds, rows, pass }))
} else {
  const fmt = (x, d = 1) => x.toFixed(d).padStart(8)
  const kmsg = (x) => `${(x / 1000).toFixed(0)}k/s`.padStart(9)
  console.log(`@p2p/bencode vs npm bencode@4 (node ${process.version}, best of ${rounds} rounds)`)
  console.log(
    `${'corpus'.padEnd(30)} ${'op'.padEnd(6)} ${'ours MB/s'.padStart(9)} ${'npm MB/s'.padStart(8)} ${'ours msg'.padStart(9)} ${'npm msg'.padStart(9)} ${'ratio'.padStart(7)}  target`,
  )
  for (const r of rows) {
    console.log(
      `${r.corpus.padEnd(30)} ${r.op.padEnd(6)} ${fmt(r.oursMBs).padStart(9)} ${fmt(r.npmMBs)} ${kmsg(r.oursMsgs)} ${kmsg(r.npmMsgs)} ${fmt(r.ratio, 2).padStart(6)}x  >=${r.target}x ${r.ok ? 'PASS' : 'FAIL'}`,
    )
  }
  console.log(pass ? 'all ratios at or above target' : 'some ratios below target')
}
process.exitCode = pass ? 0 : 1
