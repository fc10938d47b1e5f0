import type { BenchConfig } from './config.ts'
import type { LoadResult } from './load.ts'
import type { MachineInfo } from './machine.ts'
import type { SourceRevision } from './revision.ts'
import type { MemoryReading } from './rss.ts'

/** One phase, measured on every path at the same concurrency. */
export interface PathSet {
  /** Client → mock upstream. */
  direct: LoadResult
  /** Client → router with billing off → libp2p → provider node `openai` engine → the same mock upstream. */
  unbilled: LoadResult
  /** The same, with billing on: every request held, charged and recorded in the ledger. */
  via: LoadResult
  /**
   * CPU milliseconds per completed request of the process that served each path (the mock
   * upstream for direct, each marketplace process for the others). Less sensitive than
   * requests/s to what else the machine runs; a PostgreSQL server's own CPU is not in it.
   */
  cpuMsPerRequest: Record<PathName, number>
  /**
   * The marketplace processes' CPU milliseconds per completed request by kind of thread
   * (`threadCpuMs` in cpu.ts): where billing's CPU goes. Absent from results written before it was measured.
   */
  threadCpuMsPerRequest?: Record<MarketPath, Record<string, number>>
  /**
   * The marketplace paths' requests/s in each of the phase's alternating slices, in order:
   * round i's billing off and on ran seconds apart, so their ratio is one paired estimate
   * of what billing costs. Absent from results written before it was measured.
   */
  roundsPerSecond?: Record<MarketPath, number[]>
  /**
   * With a PostgreSQL ledger: the CPU milliseconds its server's processes spent per completed
   * request of each marketplace path, on the same machine. Absent for PGlite, which is inside
   * the marketplace process, and from results written before it was measured.
   */
  ledgerServerCpuMsPerRequest?: Record<MarketPath, number>
}

/** The paths served by a marketplace process. */
export type MarketPath = Exclude<PathName, 'direct'>

/** The paths, in the order a phase's first slice takes them. */
export const PATHS = ['direct', 'unbilled', 'via'] as const
export type PathName = (typeof PATHS)[number]

/** Everything one run measured; written as `results/<label>.json`. */
export interface BenchResults {
  label: string
  machine: MachineInfo
  revision: SourceRevision | null
  /** Share of the machine's CPU (0–1) that processes other than the benchmark's used during the run. */
  otherProcessesCpuShare: number
  /** The ledger behind the billed path. */
  ledger: 'pglite' | 'postgres'
  config: BenchConfig
  /** Non-streamed chat completions at concurrency 1: the latency the marketplace adds alone. */
  chatSerial: PathSet
  /** Non-streamed chat completions at `config.concurrency`. */
  chatConcurrent: PathSet
  /** Non-streamed chat completions at `config.saturationConcurrency`: requests/s. */
  saturation: PathSet
  /** Streamed chat completions; the recorded figure is time to first token. */
  timeToFirstToken: PathSet
  /** The marketplace processes, billing on and off. */
  marketplaceMemory: Record<'via' | 'unbilled', { pid: number; afterStart: MemoryReading; afterRun: MemoryReading }> & {
    /** What each process holds: the figures are not the router's alone. */
    scope: string
  }
}

/** The measured phases of {@link BenchResults}, in the order they run. */
export const PHASES = ['chatSerial', 'chatConcurrent', 'saturation', 'timeToFirstToken'] as const

type Percentile = 'p50Ms' | 'p99Ms'

/** A goal the marketplace should meet; `invalid` when a path failed requests, so the figure cannot be trusted. */
export interface TargetCheck {
  figure: string
  unit: 'ms' | '%'
  limit: number
  measured: number | null
  verdict: 'met' | 'missed' | 'invalid'
}

/**
 * The goals: added latency at concurrency 1 (Portkey adds 1.0 ms p50 / 6.0 ms p99; a bare
 * Node proxy 0.3 ms), and billing costing less than 20 % of the throughput at saturation.
 */
export function checkTargets({ chatSerial, saturation }: BenchResults): TargetCheck[] {
  const check = (figure: string, unit: TargetCheck['unit'], limit: number, measured: number | null, phase: PathSet): TargetCheck => ({
    figure,
    unit,
    limit,
    measured,
    verdict: measured === null || failed(phase) ? 'invalid' : measured <= limit ? 'met' : 'missed',
  })
  return [
    check('added p50, chat, concurrency 1', 'ms', 1, added(chatSerial, 'p50Ms'), chatSerial),
    check('added p99, chat, concurrency 1', 'ms', 3, added(chatSerial, 'p99Ms'), chatSerial),
    check('throughput cost of billing, saturation', '%', 20, billingCost(saturation), saturation),
  ]
}

/** Whether any request of the phase failed, on any path. */
export function failed(phase: PathSet): boolean {
  return PATHS.some((path) => phase[path].errors > 0)
}

/** `to` − `from` at `percentile` (by default via − direct); null when a path has no successful request to measure. */
function added(phase: PathSet, percentile: Percentile, from: PathName = 'direct', to: PathName = 'via'): number | null {
  if (phase[from].requests === 0 || phase[to].requests === 0) return null
  return phase[to].latency[percentile] - phase[from].latency[percentile]
}

/** Requests/s lost to billing, as a percentage of the requests/s without it. */
function billingCost({ unbilled, via }: PathSet): number | null {
  if (unbilled.requestsPerSecond === 0) return null
  return (1 - via.requestsPerSecond / unbilled.requestsPerSecond) * 100
}

/** {@link billingCost} in each round of alternating slices, sorted: how far one run's figure can be trusted. */
function billingCostByRound({ roundsPerSecond }: PathSet): number[] {
  if (!roundsPerSecond) return []
  return roundsPerSecond.via
    .flatMap((via, i) => {
      const unbilled = roundsPerSecond.unbilled[i]
      return unbilled ? [(1 - via / unbilled) * 100] : []
    })
    .sort((a, b) => a - b)
}

/**
 * The same loss implied by CPU per request, were CPU the bottleneck: the marketplace process's,
 * plus a PostgreSQL ledger server's on the same machine.
 */
function billingCpuCost({ cpuMsPerRequest, ledgerServerCpuMsPerRequest: server }: PathSet): number | null {
  const via = cpuMsPerRequest.via + (server?.via ?? 0)
  if (!via) return null
  return (1 - (cpuMsPerRequest.unbilled + (server?.unbilled ?? 0)) / via) * 100
}

const ms = (value: number) => `${value.toFixed(value < 100 ? 2 : 1)} ms`
const signedMs = (value: number | null) => (value === null ? '—' : `${value < 0 ? '−' : '+'}${ms(Math.abs(value))}`)
const percentileMs = (result: LoadResult, percentile: Percentile) => (result.requests === 0 ? '—' : ms(result.latency[percentile]))
const mib = (value: number) => `${value.toFixed(1)} MiB`
const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')} req/s`
const percent = (value: number) => `${value < 0 ? '−' : ''}${Math.abs(value).toFixed(0)} %`
/** The `q` quantile (0–1) of sorted `values`, interpolated between neighbours. */
const quantile = (values: number[], q: number) => {
  const at = (values.length - 1) * q
  const below = values[Math.floor(at)]!
  return below + (values[Math.ceil(at)]! - below) * (at - Math.floor(at))
}
const signedPercent = (value: number) => `${value < 0 ? '−' : '+'}${Math.abs(value).toFixed(0)} %`

/** What the threads of a marketplace process do, by the name Linux gives them. */
const THREAD_ROLES: Record<string, string> = {
  MainThread: 'Router and provider node: HTTP, libp2p, relay, billing logic',
  WorkerThread: 'Embedded PGlite',
  V8Worker: "V8's garbage-collector and compiler helpers",
  'libuv-worker': "libuv's thread pool",
}

/**
 * The results as a markdown report: the comparison table, memory, and the conditions of
 * the run (a figure without them means little).
 */
export function renderMarkdown(results: BenchResults, targets: TargetCheck[]): string {
  const { config, machine, chatSerial, chatConcurrent, saturation, timeToFirstToken, marketplaceMemory } = results
  const verdict = (figure: string) => {
    const target = targets.find((t) => t.figure === figure)
    const verdicts = { met: '✅ met', missed: '❌ missed', invalid: '⚠️ not measured: requests failed' }
    if (!target) return '—'
    return `${target.unit === 'ms' ? `≤ ${ms(target.limit)}` : `< ${target.limit} % of requests/s`}: ${verdicts[target.verdict]}`
  }
  const latencyRow = (name: string, phase: PathSet, percentile: Percentile, target: string, reference: string) =>
    `| ${name} | ${PATHS.map((path) => percentileMs(phase[path], percentile)).join(' | ')} | ${signedMs(added(phase, percentile))} | ${signedMs(added(phase, percentile, 'unbilled', 'via'))} | ${target} | ${reference} |`
  const rps = (path: PathName) => saturation[path].requestsPerSecond
  const errors = PHASES.flatMap((phase) =>
    PATHS.filter((path) => results[phase][path].errors > 0).map(
      (path) => `- ${phase} ${path}: ${results[phase][path].errors} failed, the first with: ${results[phase][path].firstError ?? ''}`,
    ),
  )
  const cost = billingCost(saturation)
  const byRound = billingCostByRound(saturation)
  const c = config.concurrency
  const memoryRow = (name: string, path: 'via' | 'unbilled') => {
    const { afterStart, afterRun } = marketplaceMemory[path]
    return `| ${name} | ${mib(afterStart.rssMiB)} | ${mib(afterRun.peakRssMiB)} | ${mib(afterRun.rssMiB)} |`
  }

  const threads = saturation.threadCpuMsPerRequest
  const threadNames = threads
    ? [...new Set([...Object.keys(threads.via), ...Object.keys(threads.unbilled)])]
        .filter((name) => Math.max(threads.via[name] ?? 0, threads.unbilled[name] ?? 0) >= 0.005)
        .sort((a, b) => (threads.via[b] ?? 0) - (threads.via[a] ?? 0))
    : []
  const serverCpu = saturation.ledgerServerCpuMsPerRequest
  const threadRow = (name: string) =>
    `| ${THREAD_ROLES[name] ? `${THREAD_ROLES[name]} (\`${name}\`)` : `\`${name}\``} | ${ms(threads!.unbilled[name] ?? 0)} | ${ms(threads!.via[name] ?? 0)} | ${signedMs((threads!.via[name] ?? 0) - (threads!.unbilled[name] ?? 0))} |`

  return [
    `# Agora benchmark: ${results.label}`,
    '',
    `${machine.date} · ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB · Node ${machine.node} · ${machine.os} · ` +
      (results.revision ? `commit ${results.revision.commit.slice(0, 10)}${results.revision.dirty ? ' with uncommitted changes' : ''}` : 'no git revision'),
    '',
    `Mock upstream (own process): ${config.upstreamLatencyMs} ms fixed latency, ${config.tokens} tokens, ${config.interTokenMs} ms between streamed chunks. ` +
      `Ledger of the billed marketplace: ${results.ledger === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}. ` +
      `Each phase: ${config.phaseWarmupSeconds} s unrecorded per path, then ${config.seconds} s measured per path in ${config.rounds} alternating slices (saturation: ${config.saturationSeconds} s in ${config.saturationRounds}), after ${config.warmupSeconds} s of warm-up on each path. ` +
      'Load generator, mock upstream and the two marketplaces (billing off, billing on) are four processes sharing this machine, only one path loaded at a time; ' +
      `other processes used ${(results.otherProcessesCpuShare * 100).toFixed(0)} % of its CPU during the run.`,
    '',
    '| Figure | Direct | Marketplace, billing off | Marketplace, billing on | Added by the marketplace (on − direct) | Added by billing (on − off) | Target | Reference |',
    '|---|---|---|---|---|---|---|---|',
    latencyRow('Chat latency p50, concurrency 1', chatSerial, 'p50Ms', verdict('added p50, chat, concurrency 1'), 'Portkey +1.0 ms; bare Node proxy +0.3 ms'),
    latencyRow('Chat latency p99, concurrency 1', chatSerial, 'p99Ms', verdict('added p99, chat, concurrency 1'), 'Portkey +6.0 ms'),
    latencyRow(`Chat latency p50, concurrency ${c}`, chatConcurrent, 'p50Ms', '—', ''),
    latencyRow(`Chat latency p99, concurrency ${c}`, chatConcurrent, 'p99Ms', '—', ''),
    `| Requests/s at saturation (concurrency ${config.saturationConcurrency}) | ${PATHS.map((path) => perSecond(rps(path))).join(' | ')} | ${signedPercent((rps('via') / rps('direct') - 1) * 100)} | ${cost === null ? '—' : signedPercent(-cost)} | ${verdict('throughput cost of billing, saturation')} | |`,
    ...(byRound.length
      ? [
          `| Requests/s lost to billing per round (a billing-off slice and the billing-on slice beside it), ${byRound.length} rounds | — | — | — | — | median ${percent(quantile(byRound, 0.5))}; middle half ${percent(quantile(byRound, 0.25))} to ${percent(quantile(byRound, 0.75))}; all ${percent(byRound[0]!)} to ${percent(byRound.at(-1)!)} | — | |`,
        ]
      : []),
    `| Marketplace CPU per request at saturation (the mock's for direct) | ${PATHS.map((path) => ms(saturation.cpuMsPerRequest[path])).join(' | ')} | — | ${signedMs(saturation.cpuMsPerRequest.via - saturation.cpuMsPerRequest.unbilled)}${serverCpu === undefined ? '' : `, and ${signedMs(serverCpu.via - serverCpu.unbilled)} in PostgreSQL`} (${billingCpuCost(saturation)?.toFixed(0) ?? '—'} % of requests/s if CPU-bound) | — | |`,
    latencyRow(`Time to first token p50, streamed, concurrency ${config.ttftConcurrency}`, timeToFirstToken, 'p50Ms', '—', 'Portkey +29 ms'),
    latencyRow(`Time to first token p99, streamed, concurrency ${config.ttftConcurrency}`, timeToFirstToken, 'p99Ms', '—', ''),
    '',
    `Added latency is the difference of two paths' percentiles, not a percentile of per-request differences.`,
    '',
    ...(threads
      ? [
          `| Marketplace CPU per request at saturation, by thread (${marketplaceMemory.scope}) | Billing off | Billing on | Added by billing |`,
          '|---|---|---|---|',
          ...threadNames.map(threadRow),
          ...(serverCpu === undefined
            ? []
            : [`| PostgreSQL server, the ledger (its processes, outside the marketplace) | ${ms(serverCpu.unbilled)} | ${ms(serverCpu.via)} | ${signedMs(serverCpu.via - serverCpu.unbilled)} |`]),
          '',
        ]
      : []),
    `| Marketplace process memory (${marketplaceMemory.scope}) | After start | Peak (VmHWM) | After run |`,
    '|---|---|---|---|',
    memoryRow('RSS, billing on', 'via'),
    memoryRow('RSS, billing off', 'unbilled'),
    '',
    ...(errors.length ? ['**Failed requests** (left out of the figures above, which are then not to be trusted):', '', ...errors, ''] : []),
  ].join('\n')
}
