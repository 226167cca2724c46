import { join } from 'node:path'
import type { EventLog } from './event-log.js'
import { type Fixture, makeFixture } from './fixture.js'
import { HostNetwork } from './hosts.js'
import type { LabOptions, LabPlan } from './lab-options.js'
import type { FixtureVersion } from './peer-process.js'
import { repeatName, summarizeRuns } from './repeats.js'
import type { ScenarioContext } from './scenario.js'
import { runSwarm } from './swarm-run.js'
import type { RunResult } from './swarm-types.js'

/** 20 Mbit/s up and 50 Mbit/s down per peer: a typical home line. */
const DEFAULT_UP = 2_500_000
const DEFAULT_DOWN = 6_250_000

/**
 * What every scenario of a lab run runs with: each swarm on a network of its own (opened and closed
 * around it), fixtures made once per torrent version, in `workDir`.
 */
export function labContext(
  plan: LabPlan,
  options: LabOptions,
  log: EventLog,
  workDir: string,
): ScenarioContext {
  const fixtures = new Map<FixtureVersion, Promise<Fixture>>()
  const ctx: ScenarioContext = {
    mode: plan.mode,
    log,
    workDir,
    size: plan.size,
    peers: plan.peers,
    caps: { up: options.up ?? DEFAULT_UP, down: options.down ?? DEFAULT_DOWN },
    impls: plan.impls,
    timeoutScale: options.timeoutScale ?? 1,
    repeats: plan.repeats,
    signal: options.signal,
    note: (l) => options.onNote?.(l),
    fixture(version = options.version ?? 'v1') {
      let f = fixtures.get(version)
      if (!f) {
        f = makeFixture(join(workDir, `fixture-${version}`), plan.size, version)
        fixtures.set(version, f)
      }
      return f
    },
    async runSwarm(spec, fixture) {
      const net = await HostNetwork.open(plan.mode)
      try {
        const defaults = {
          superSeed: (options.superSeed ?? false) && spec.seeders === 1,
          discovery: plan.discovery,
          trackerProtocol: plan.trackerProtocol,
        }
        return await runSwarm({ ...defaults, ...spec }, net, fixture, log, workDir, options.signal)
      } finally {
        await net.close()
      }
    },
    async runRepeated(spec, fixture) {
      const { repeats } = plan
      const runs: RunResult[] = []
      for (let k = 1; k <= repeats; k++) {
        if (repeats > 1) ctx.note(`${spec.run}: run ${k} of ${repeats}`)
        runs.push(await ctx.runSwarm({ ...spec, run: repeatName(spec.run, k, repeats), repeat: k }, fixture))
      }
      return summarizeRuns(runs)
    },
  }
  return ctx
}
