// Sums .cpuprofile files (e.g. from tools/cpu-profile.cjs): node profile-summary.mjs dir/*.cpuprofile
// Prints the share of busy samples (idle excluded) by package, by function (self) and by function
// including what it calls. Samples are counted rather than weighted by their time deltas: on a loaded
// machine a delta also holds the time the process waited for a core.
import { readFileSync } from 'node:fs'

const self = new Map()
const area = new Map()
const inclusive = new Map()
let busy = 0
const add = (map, key, t) => map.set(key, (map.get(key) ?? 0) + t)
/** `packages/<name>/dist/...` -> name; node internals and native frames by kind. */
const areaOf = (frame) => {
  const m = /packages\/([^/]+)\//.exec(frame.url)
  if (m) return m[1]
  if (frame.url.startsWith('node:')) return 'node internals'
  return frame.url ? frame.url : `native: ${frame.functionName}`
}
const nameOf = (frame) => {
  const m = /packages\/([^/]+)\/dist\/(.*)$/.exec(frame.url)
  const where = m ? `${m[1]}/${m[2]}` : frame.url.replace(/^node:internal\//, 'node:')
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`
}
const files = process.argv.slice(2)
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const time = new Map()
  for (const id of profile.samples) add(time, id, 1)
  for (const [id, t] of time) {
    const frame = nodes.get(id).callFrame
    if (frame.functionName === '(idle)') continue
    busy += t
    add(self, nameOf(frame), t)
    add(area, areaOf(frame), t)
    const seen = new Set()
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = nameOf(nodes.get(at).callFrame)
      if (!seen.has(key)) add(inclusive, key, t)
      seen.add(key)
    }
  }
}
const top = (map, k) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, t]) => `${((t / busy) * 100).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n')
console.log(`${busy} busy samples in ${files.length} profiles`)
console.log(`-- by package\n${top(area, 12)}\n-- self\n${top(self, 25)}\n-- inclusive\n${top(inclusive, 40)}`)
