import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Call at the top of a test that runs a package's build output (`dist/`). Returns the file's path.
 * In CI (`CI=true`) a missing build fails the test; elsewhere the test is skipped with a message
 * saying what to build.
 *
 * @example
 * ```ts
 * it('runs the bin', (ctx) => {
 *   const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
 * })
 * ```
 */
export function requireBuilt(ctx: { skip: (note?: string) => void }, file: URL, pkg: string): string {
  const path = fileURLToPath(file)
  if (existsSync(path)) return path
  if (process.env.CI) throw new Error(`${pkg} is not built (${path} missing): required in CI`)
  ctx.skip(`build ${pkg} first: pnpm turbo run build --filter ${pkg}...`)
  return path
}
