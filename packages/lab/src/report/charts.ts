import * as echarts from 'echarts'
import type { ChartSpec } from '../scenario.js'

const WIDTH = 760
const HEIGHT = 360

/**
 * Renders a chart to an SVG string with echarts' server-side renderer (no DOM, no network). Each
 * data point becomes an SVG element; the report test counts them.
 */
export function renderChart(spec: ChartSpec): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT })
  const bar = spec.kind === 'bar'
  chart.setOption({
    animation: false,
    title: { text: spec.title, left: 'center', textStyle: { fontSize: 14 } },
    // The legend sits under the plot so long titles never run into it.
    legend: { bottom: 0, type: 'scroll' },
    grid: { top: 56, left: 64, right: 24, bottom: 72 },
    xAxis: bar
      ? { type: 'category', name: spec.xName, nameLocation: 'middle', nameGap: 28, data: spec.categories }
      : { type: 'value', name: spec.xName, nameLocation: 'middle', nameGap: 28, scale: true },
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
