import type { BenchConfig } from './config.ts'
import type { LoadResult } from './load.ts'
import type { MachineInfo } from './machine.ts'
import type { SourceRevision } from './revision.ts'
import type { MemoryReading } from './rss.ts'

/** One phase, measured on both paths at the same concurrency. */
export interface PathPair {
  /** Client → mock upstream. */
  direct: LoadResult
  /** Client → router → libp2p → provider node `openai` engine → the same mock upstream. */
  via: LoadResult
}

/** Everything one run measured; written as `results/<label>.json`. */
export interface BenchResults {
  label: string
  machine: MachineInfo
  revision: SourceRevision | null
  /** Share of the machine's CPU (0–1) that processes other than the benchmark's three used during the run. */
  otherProcessesCpuShare: number
  config: BenchConfig
  /** Non-streamed chat completions at concurrency 1: the latency the marketplace adds alone. */
  chatSerial: PathPair
  /** Non-streamed chat completions at `config.concurrency`. */
  chatConcurrent: PathPair
  /** Non-streamed chat completions at `config.saturationConcurrency`: requests/s. */
  saturation: PathPair
  /** Streamed chat completions; the recorded figure is time to first token. */
  timeToFirstToken: PathPair
  marketplaceMemory: {
    pid: number
    /** What the process holds: the figures are not the router's alone. */
    scope: string
    afterStart: MemoryReading
    afterRun: MemoryReading
  }
}

/** The measured phases of {@link BenchResults}, in the order they run. */
export const PHASES = ['chatSerial', 'chatConcurrent', 'saturation', 'timeToFirstToken'] as const

type Percentile = 'p50Ms' | 'p99Ms'

/** A goal the marketplace should meet; `invalid` when a path failed requests, so the figure cannot be trusted. */
export interface TargetCheck {
  figure: string
  limitMs: number
  measuredMs: number | null
  verdict: 'met' | 'missed' | 'invalid'
}

/** The added-latency goals at concurrency 1 (Portkey adds 1.0 ms p50 / 6.0 ms p99; a bare Node proxy 0.3 ms). */
export function checkTargets({ chatSerial }: BenchResults): TargetCheck[] {
  const check = (figure: string, limitMs: number, measuredMs: number | null): TargetCheck => ({
    figure,
    limitMs,
    measuredMs,
    verdict: measuredMs === null || failed(chatSerial) ? 'invalid' : measuredMs <= limitMs ? 'met' : 'missed',
  })
  return [
    check('added p50, chat, concurrency 1', 1, added(chatSerial, 'p50Ms')),
    check('added p99, chat, concurrency 1', 3, added(chatSerial, 'p99Ms')),
  ]
}

/** Whether any request of the phase failed, on either path. */
export function failed({ direct, via }: PathPair): boolean {
  return direct.errors > 0 || via.errors > 0
}

/** via − direct at `percentile`; null when a path has no successful request to measure. */
function added({ direct, via }: PathPair, percentile: Percentile): number | null {
  if (direct.requests === 0 || via.requests === 0) return null
  return via.latency[percentile] - direct.latency[percentile]
}

const ms = (value: number) => `${value.toFixed(value < 100 ? 2 : 1)} ms`
const signedMs = (value: number | null) => (value === null ? '—' : `${value < 0 ? '−' : '+'}${ms(Math.abs(value))}`)
const percentileMs = (result: LoadResult, percentile: Percentile) => (result.requests === 0 ? '—' : ms(result.latency[percentile]))
const mib = (value: number) => `${value.toFixed(1)} MiB`
const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')} req/s`

/**
 * The results as a markdown report: the comparison table, memory, and the conditions of
 * the run (a figure without them means little).
 */
export function renderMarkdown(results: BenchResults, targets: TargetCheck[]): string {
  const { config, machine, chatSerial, chatConcurrent, saturation, timeToFirstToken, marketplaceMemory } = results
  const verdict = (figure: string) => {
    const target = targets.find((t) => t.figure === figure)
    const verdicts = { met: '✅ met', missed: '❌ missed', invalid: '⚠️ not measured: requests failed' }
    return target ? `≤ ${ms(target.limitMs)}: ${verdicts[target.verdict]}` : '—'
  }
  const latencyRow = (name: string, pair: PathPair, percentile: Percentile, target: string, reference: string) =>
    `| ${name} | ${percentileMs(pair.direct, percentile)} | ${percentileMs(pair.via, percentile)} | ${signedMs(added(pair, percentile))} | ${target} | ${reference} |`
  const throughputChange = saturation.via.requestsPerSecond / saturation.direct.requestsPerSecond - 1
  const errors = PHASES.flatMap((phase) =>
    (['direct', 'via'] as const)
      .filter((path) => results[phase][path].errors > 0)
      .map((path) => `- ${phase} ${path}: ${results[phase][path].errors} failed, the first with: ${results[phase][path].firstError ?? ''}`),
  )
  const c = config.concurrency

  return [
    `# Agora benchmark: ${results.label}`,
    '',
    `${machine.date} · ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB · Node ${machine.node} · ${machine.os} · ` +
      (results.revision ? `commit ${results.revision.commit.slice(0, 10)}${results.revision.dirty ? ' with uncommitted changes' : ''}` : 'no git revision'),
    '',
    `Mock upstream (own process): ${config.upstreamLatencyMs} ms fixed latency, ${config.tokens} tokens, ${config.interTokenMs} ms between streamed chunks. ` +
      `Each phase: ${config.phaseWarmupSeconds} s unrecorded per path, then ${config.seconds} s measured per path in ${config.rounds} alternating slices, after ${config.warmupSeconds} s of warm-up on each path. ` +
      'Load generator, marketplace and upstream are three processes sharing this machine; ' +
      `other processes used ${(results.otherProcessesCpuShare * 100).toFixed(0)} % of its CPU during the run.`,
    '',
    '| Figure | Direct | Via marketplace | Added (via − direct) | Target | Reference |',
    '|---|---|---|---|---|---|',
    latencyRow('Chat latency p50, concurrency 1', chatSerial, 'p50Ms', verdict('added p50, chat, concurrency 1'), 'Portkey +1.0 ms; bare Node proxy +0.3 ms'),
    latencyRow('Chat latency p99, concurrency 1', chatSerial, 'p99Ms', verdict('added p99, chat, concurrency 1'), 'Portkey +6.0 ms'),
    latencyRow(`Chat latency p50, concurrency ${c}`, chatConcurrent, 'p50Ms', '—', ''),
    latencyRow(`Chat latency p99, concurrency ${c}`, chatConcurrent, 'p99Ms', '—', ''),
    `| Requests/s at saturation (concurrency ${config.saturationConcurrency}) | ${perSecond(saturation.direct.requestsPerSecond)} | ${perSecond(saturation.via.requestsPerSecond)} | ${throughputChange < 0 ? '−' : '+'}${Math.abs(throughputChange * 100).toFixed(0)} % | — | |`,
    latencyRow(`Time to first token p50, streamed, concurrency ${config.ttftConcurrency}`, timeToFirstToken, 'p50Ms', '—', 'Portkey +29 ms'),
    latencyRow(`Time to first token p99, streamed, concurrency ${config.ttftConcurrency}`, timeToFirstToken, 'p99Ms', '—', ''),
    '',
    `Added latency is the difference of the two paths' percentiles, not a percentile of per-request differences.`,
    '',
    `| Marketplace process memory (${marketplaceMemory.scope}) | After start | Peak (VmHWM) | After run |`,
    '|---|---|---|---|',
    `| RSS | ${mib(marketplaceMemory.afterStart.rssMiB)} | ${mib(marketplaceMemory.afterRun.peakRssMiB)} | ${mib(marketplaceMemory.afterRun.rssMiB)} |`,
    '',
    ...(errors.length ? ['**Failed requests** (left out of the figures above, which are then not to be trusted):', '', ...errors, ''] : []),
  ].join('\n')
}
