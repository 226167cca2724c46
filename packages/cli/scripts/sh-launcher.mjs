// Run by tsup after each build (package.json "tsup.onSuccess"): turns the first line of dist/bin.js,
// `#!/usr/bin/env node`, into a two-line launcher that is both POSIX sh and JavaScript:
//
//   #!/usr/bin/env sh
//   ':' //; exec node <NODE_FLAGS> "$0" "$@"
//
// sh runs the second line (`:` does nothing, then node replaces the shell: one process, as before);
// node skips the first line (a hashbang) and reads the second as a string statement and a comment.
// (`env sh`, not `/bin/sh`: package linters such as publint take only `#!/usr/bin/env ...` as executable.)
// It gives the `p2p` command the node flags that V8 reads only at startup (`v8.setFlagsFromString`
// in src/bin.ts cannot set them), without `env -S`, which BusyBox's env lacks.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * `--no-concurrent-recompilation`: TurboFan compiles hot functions on the main thread instead of on
 * V8's worker threads. Each worker that compiles keeps a malloc arena of 1-2 MiB for the rest of the
 * run; a download's leecher peaks 1.5-2 MiB lower (transfer bench), at the same CPU per GiB.
 */
export const NODE_FLAGS = ['--no-concurrent-recompilation']

const HASHBANG = '#!/usr/bin/env node\n'
const launcher = `#!/usr/bin/env sh\n':' //; exec node ${NODE_FLAGS.join(' ')} "$0" "$@"\n`

for (const name of ['bin.js', 'bin.cjs']) {
  const file = fileURLToPath(new URL(`../dist/${name}`, import.meta.url))
  const text = readFileSync(file, 'utf8')
  if (text.startsWith(launcher)) continue
  if (!text.startsWith(HASHBANG)) throw new Error(`${file} does not start with ${JSON.stringify(HASHBANG)}`)
  writeFileSync(file, launcher + text.slice(HASHBANG.length))
  // One more generated line before the code: its source map's mappings start one line later.
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'))
  map.mappings = `;${map.mappings}`
  writeFileSync(`${file}.map`, JSON.stringify(map))
}
