// Preloaded into our leecher by transfer.mjs when BENCH_RSS_SPLIT=1 (node --require): samples RSS every
// 20 ms and, at each new peak (at most every 250 ms), what it is made of: the node binary's own pages
// (/proc/self/smaps), V8's heap (committed), external memory (piece buffers, socket buffers), and the
// rest (malloc, libraries, stacks). Writes the split at the highest peak to RSS_SPLIT_OUT at exit.
const { readFileSync, writeFileSync } = require('node:fs')

let peak = 0
let lastRead = 0
let split
function binaryKiB() {
  let kib = 0
  let inBinary = false
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head) inBinary = head[1] === process.execPath
    else if (inBinary && line.startsWith('Rss:')) kib += Number(line.slice(4).trim().split(' ')[0])
  }
  return kib
}
const timer = setInterval(() => {
  const rss = process.memoryUsage.rss()
  const now = Date.now()
  if (rss <= peak || now - lastRead < 250) return
  peak = rss
  lastRead = now
  const m = process.memoryUsage()
  split = { rss, binary: binaryKiB() * 1024, heap: m.heapTotal, external: m.external }
}, 20)
timer.unref()
process.on('exit', () => {
  if (split && process.env.RSS_SPLIT_OUT) writeFileSync(process.env.RSS_SPLIT_OUT, JSON.stringify(split))
})
