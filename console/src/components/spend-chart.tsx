import { createEffect, For, onCleanup, onMount } from 'solid-js'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

/** An axis tick in dollars, as short as it can be without losing the figure. */
function dollars(value: number): string {
  if (value === 0) return '$0'
  return `$${value >= 0.01 ? value.toFixed(2) : Number(value.toPrecision(2)).toString()}`
}

export interface SpendPoint {
  /** UTC day, `YYYY-MM-DD`. */
  day: string
  /** Dollars spent that day (display only). */
  usd: number
}

/**
 * Spend per day as a uPlot bar-like line, with the same figures in a table for screen
 * readers (and for browsers without a canvas).
 */
export function SpendChart(props: { points: SpendPoint[] }) {
  let container!: HTMLDivElement
  let plot: uPlot | undefined

  // Days without spend draw no bar at all.
  const data = (): uPlot.AlignedData => [props.points.map((p) => Date.parse(`${p.day}T00:00:00Z`) / 1000), props.points.map((p) => (p.usd === 0 ? null : p.usd))]

  onMount(() => {
    if (!document.createElement('canvas').getContext('2d')) return
    const styles = getComputedStyle(container)
    const accent = styles.getPropertyValue('--accent').trim() || '#4f46e5'
    const ink = styles.getPropertyValue('--muted').trim() || '#666'
    plot = new uPlot(
      {
        width: Math.max(container.clientWidth, 280),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        legend: { show: false },
        cursor: { points: { show: false } },
        scales: {
          // Half a day on each side, so the first and last bars are whole.
          x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        },
        axes: [
          { stroke: ink, grid: { show: false } },
          {
            stroke: ink,
            values: (_u, ticks) => ticks.map(dollars),
            // Wide enough for the longest label: small amounts have many decimals.
            size: (_u, values) => (values ? Math.max(...values.map((v) => String(v).length)) * 7 + 18 : 48),
          },
        ],
        series: [{}, { label: 'Spend', stroke: accent, fill: `${accent}55`, width: 1, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.7, 24] }) }],
      },
      data(),
      container,
    )
    const resize = new ResizeObserver(() => plot?.setSize({ width: Math.max(container.clientWidth, 280), height: 220 }))
    resize.observe(container)
    onCleanup(() => {
      resize.disconnect()
      plot?.destroy()
    })
  })

  createEffect(() => plot?.setData(data()))

  return (
    <figure class="chart">
      <div ref={container} class="chart-canvas" aria-hidden="true" />
      <figcaption class="sr-only">
        <table>
          <caption>Spend per day (UTC)</caption>
          <tbody>
            <For each={props.points}>
              {(point) => (
                <tr>
                  <th scope="row">{point.day}</th>
                  <td>${point.usd.toFixed(6)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </figcaption>
    </figure>
  )
}
