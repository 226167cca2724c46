import { createRequire } from 'node:module'
import type * as Echarts from 'echarts'
import type { ChartSpec } from '../scenario.js'

/** Shown in place of each chart when the optional package echarts is not installed. */
export const NO_ECHARTS =
  'Chart not drawn: the report draws its charts with the optional package echarts, which is not installed. ' +
  'Run `npm install echarts` in your project (next to a global @p2p/cli: `npm install -g echarts`) and run the lab again.'

const load = createRequire(import.meta.url)
/** echarts once loaded; null when it is not installed. */
let echartsModule: typeof Echarts | null | undefined

function echarts(): typeof Echarts | null {
  if (echartsModule === undefined) {
    try {
      echartsModule = load('echarts') as typeof Echarts
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err
      echartsModule = null
    }
  }
  return echartsModule
}

const WIDTH = 760
const HEIGHT = 360

/**
 * Renders a chart to an SVG string with echarts' server-side renderer (no DOM, no network). Each
 * data point becomes an SVG element; the report test counts them. echarts is an optional
 * dependency loaded on first use: without it the chart is a paragraph saying what to install.
 */
export function renderChart(spec: ChartSpec): string {
  const lib = echarts()
  if (!lib) return `<p class="no-chart">${NO_ECHARTS}</p>`
  const chart = lib.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT })
  const bar = spec.kind === 'bar'
  chart.setOption({
    animation: false,
    title: { text: spec.title, left: 'center', textStyle: { fontSize: 14 } },
    // The legend sits under the plot so long titles never run into it.
    legend: { bottom: 0, type: 'scroll' },
    grid: { top: 56, left: 64, right: 24, bottom: 72 },
    xAxis: bar
      ? { type: 'category', name: spec.xName, nameLocation: 'middle', nameGap: 28, data: spec.categories }
      : {
          type: 'value',
          name: spec.xName,
          nameLocation: 'middle',
          nameGap: 28,
          scale: true,
          max: spec.xMax,
        },
    yAxis: { type: 'value', name: spec.yName },
    series: spec.series.map((s, i) => ({
      name: s.name,
      type: spec.kind,
      data: bar ? s.points.map((p) => p[1]) : s.points,
      showSymbol: true,
      symbolSize: 4,
      lineStyle: s.dashed ? { type: 'dashed' } : undefined,
      markLine:
        i === 0 && spec.marks?.length
          ? {
              symbol: 'none',
              label: { formatter: '{b}', position: 'insideEndTop' },
              data: spec.marks.map((m) => ({ name: m.label, xAxis: m.x })),
            }
          : undefined,
    })),
  })
  const svg = chart.renderToSVGString()
  chart.dispose()
  return svg
}
