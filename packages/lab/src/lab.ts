import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { labEnvironment, writeReportFiles } from './environment.js'
import { EventLog } from './event-log.js'
import type { NetworkMode } from './hosts.js'
import { labContext } from './lab-context.js'
import { modeNote, repeatsNote, setupNotes } from './lab-notes.js'
import { type LabOptions, labPlan } from './lab-options.js'
import { cleanupStale, cleanupSync } from './netns.js'
import { killAllPeersSync } from './peer-process.js'
import { renderReport } from './report/html.js'
import { peersTable, type ScenarioContext, type ScenarioResult, settingsTable } from './scenario.js'
import { scenarios } from './scenarios/index.js'

/** What {@link runLab} produced. */
export interface LabResult {
  mode: NetworkMode
  results: ScenarioResult[]
  reportPath: string
  /** report.pdf, when it was printed. */
  pdfPath?: string
  eventsPath: string
  lines: string[]
}

/**
 * Runs the chosen scenarios and writes `events.jsonl` and `report.html` into `out`. Everything it
 * creates (namespaces, links, qdiscs, peer processes) is removed at the end, on failure, and on
 * SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * const r = await runLab({ scenarios: ['scaling'], peers: [2, 5], size: 8 * 2 ** 20, out: 'lab-out' })
 * console.log(r.lines.join('\n'), r.reportPath)
 * ```
 */
export async function runLab(options: LabOptions = {}): Promise<LabResult> {
  const plan = await labPlan(options)
  const notes = setupNotes(plan, options)
  const out = resolve(options.out ?? 'lab-out')
  const workDir = join(out, 'work')
  await mkdir(workDir, { recursive: true })
  const eventsPath = join(out, 'events.jsonl')
  const log = new EventLog(eventsPath)
  const untrap = trapExit()
  if (plan.mode === 'netns') await cleanupStale()
  const ctx = labContext(plan, options, log, workDir)
  const started = new Date().toISOString()
  const environment = await labEnvironment(options.command ?? process.argv.join(' '))
  const lines: string[] = []
  let results: ScenarioResult[]
  try {
    results = await runScenarios(plan.names, ctx, options, lines)
  } finally {
    untrap()
    await log.close()
    if (!options.keepFiles) await rm(workDir, { recursive: true, force: true })
  }
  notes.push(repeatsNote(results, plan.repeats))
  const html = renderReport(
    {
      mode: plan.mode,
      modeNote: modeNote(plan.mode),
      size: plan.size,
      caps: ctx.caps,
      impls: plan.impls,
      started,
      notes,
      environment,
      eventsFile: 'events.jsonl',
      tables: [settingsTable(results.flatMap((r) => r.runs))],
    },
    results,
  )
  const files = await writeReportFiles(out, html, options.pdf ?? true, (l) => options.onNote?.(l))
  return { mode: plan.mode, results, reportPath: files.reportPath, pdfPath: files.pdfPath, eventsPath, lines }
}

/** Runs each scenario in turn (its result lines into `lines` and `options.onLine` as they come). */
async function runScenarios(
  names: string[],
  ctx: ScenarioContext,
  options: LabOptions,
  lines: string[],
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = []
  for (const name of names) {
    options.signal?.throwIfAborted()
    const r = await scenarios[name]!.run(ctx)
    r.tables.push(peersTable(r.runs))
    results.push(r)
    for (const l of r.lines) {
      lines.push(l)
      options.onLine?.(l)
    }
  }
  return results
}

/**
 * Until the returned function is called, kills every peer process and removes the lab's network on
 * exit, and on SIGINT/SIGTERM (then exits 130/143).
 */
function trapExit(): () => void {
  const onSignal = (sig: NodeJS.Signals) => {
    killAllPeersSync()
    cleanupSync()
    process.exit(sig === 'SIGINT' ? 130 : 143)
  }
  const onExit = () => {
    killAllPeersSync()
    cleanupSync()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}
