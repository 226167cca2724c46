import type { ScenarioResult, TableSpec } from '../scenario.js'
import { renderChart } from './charts.js'

/** Facts about the run shown at the top of the report. */
export interface ReportMeta {
  mode: 'netns' | 'loopback' | 'simulation'
  modeNote: string
  size: number
  /** Per-peer caps (omitted when peers have different links, as in a simulation). */
  caps?: { up: number; down: number }
  impls: string[]
  started: string
  notes: string[]
  /** Tables about the whole lab (e.g. each implementation's settings), shown after the notes. */
  tables?: TableSpec[]
  /** The environment block: CPU, kernel, versions, commit, command. */
  environment?: Record<string, string>
  /** The event log's file name next to the report (linked). */
  eventsFile?: string
}

function esc(s: unknown): string {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}

/** 'pass', 'miss' or 'inconclusive' for a result line that states a verdict, else ''. */
function verdict(line: string): string {
  if (/\bINCONCLUSIVE\b/.test(line)) return 'inconclusive'
  if (/\bPASS\b/.test(line)) return 'pass'
  if (/\bMISS\b|\bNOT\b/.test(line)) return 'miss'
  return ''
}

function table(t: TableSpec): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('')
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')
  return `<h3>${esc(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}

/**
 * One item of the summary: the question, its answer in one sentence with a link to the chart that
 * shows it, and a verdict badge for each quality bar the scenario checked.
 */
function summaryItem(r: ScenarioResult): string {
  const answer = r.answer ?? r.lines[0] ?? r.summary
  const figure = r.figure ? ` <a class="fig" href="#chart-${esc(r.figure)}">(figure)</a>` : ''
  const bars = r.lines
    .filter((l) => verdict(l))
    .map((l) => {
      const v = verdict(l)
      return `<li><span class="badge ${v}">${v.toUpperCase()}</span> <code>${esc(l)}</code></li>`
    })
    .join('')
  return `<li class="question"><a href="#${esc(r.name)}"><b>${esc(r.question)}</b></a><p class="answer">${esc(answer)}${figure}</p>${bars ? `<ul class="verdicts">${bars}</ul>` : ''}</li>`
}

/**
 * A self-contained HTML report: inline CSS, inline SVG charts, no scripts and no network needed.
 * Every chart sits in `<figure class="chart" data-chart=ID data-points=N>` so tests can check it.
 */
export function renderReport(meta: ReportMeta, results: ScenarioResult[]): string {
  const summary = results.map(summaryItem).join('\n')
  const environment = Object.entries(meta.environment ?? {})
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
    .join('')
  const sections = results.map((r) => {
    const charts = r.charts
      .map((c) => {
        const points = c.series.reduce((a, s) => a + s.points.length, 0)
        return `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}" data-points="${points}">${renderChart(c)}</figure>`
      })
      .join('\n')
    const lines = r.lines.map((l) => `<li><code>${esc(l)}</code></li>`).join('')
    return `<section id="${esc(r.name)}"><h2>${esc(r.name)}</h2><p>${esc(r.summary)}</p><ul>${lines}</ul>${r.tables.map(table).join('\n')}${charts}</section>`
  })
  const mbit = (b: number) => ((b * 8) / 1e6).toFixed(1)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>p2p swarm lab report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}.env td{text-align:left}li.pass code{color:#17622b}li.miss code{color:#a32020}
figure.chart svg{width:100%;height:auto}figure.chart{width:100%}
.answer{margin:.2em 0}.badge{display:inline-block;min-width:3.2em;text-align:center;border-radius:3px;color:#fff;font-size:11px;font-weight:bold}
.badge.pass{background:#17622b}.badge.miss{background:#a32020}.badge.inconclusive{background:#9a6a00}ol.summary>li{margin-bottom:.8em}ul.verdicts{list-style:none;padding-left:.5em}
td,th{overflow-wrap:anywhere}@media print{body{margin:0;max-width:none}table{font-size:9px}}figure.chart{margin:1em 0}code{font-size:12px}.mode{padding:.6em;background:#fff6d6;border:1px solid #e5c96b}
</style></head><body>
<h1>p2p swarm lab</h1>
<h2>Summary</h2>
<ol class="summary">${summary}</ol>
${environment ? `<table class="env"><tbody>${environment}</tbody></table>` : ''}
${meta.eventsFile ? `<p>Every event of every run: <a href="${esc(meta.eventsFile)}">${esc(meta.eventsFile)}</a> (one JSON object a line).</p>` : ''}
<p class="mode"><b>Hosts:</b> ${esc(meta.mode)}: ${esc(meta.modeNote)}</p>
<p>File ${(meta.size / 2 ** 20).toFixed(1)} MiB;${meta.caps ? ` per peer ${mbit(meta.caps.up)} Mbit/s up, ${mbit(meta.caps.down)} Mbit/s down;` : ''}
peers: ${esc(meta.impls.join(', '))}; started ${esc(meta.started)}.</p>
${meta.notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
${(meta.tables ?? []).map(table).join('\n')}
${sections.join('\n')}
</body></html>
`
}
