import type { MachineInfo } from '../machine.ts'
import type { SimConfig } from './config.ts'
import type { Market } from './market.ts'
import type { PolicySummary } from './metrics.ts'
import type { SimRequest } from './workload.ts'

/** Everything a run writes to `results/<label>.json`. */
export interface RoutingSimResults {
  config: SimConfig
  machine: MachineInfo
  market: MarketDescription
  /** Our policy's rows first (defaults, then variants), then the baselines'. */
  summaries: PolicySummary[]
}

/** The drawn market and workload, in a few figures. */
export interface MarketDescription {
  providersByKind: Record<string, number>
  /** Providers whose engine fails at least one attempt in ten. */
  flakyProviders: number
  /** Sum of the advertised capacities. */
  slots: number
  conversationTurns: number
  /** Arrival of the last request, virtual seconds after the first. */
  arrivalSeconds: number
}

/** The four figures the policies are compared on; lower is better for each. */
const FIGURES: { name: string; value: (s: PolicySummary) => number; format: (s: PolicySummary) => string }[] = [
  { name: 'price', value: (s) => s.priceRatio, format: (s) => `${s.priceRatio.toFixed(2)}×` },
  { name: 'p50 latency', value: (s) => s.latencyMs.p50, format: (s) => seconds(s.latencyMs.p50) },
  { name: 'p95 latency', value: (s) => s.latencyMs.p95, format: (s) => seconds(s.latencyMs.p95) },
  { name: 'failed requests', value: (s) => s.failed, format: (s) => percent(s.failed / s.requests) },
]

/** Why requests failed, by what ended them: columns of the failure table. */
const CAUSES: [string, string][] = [
  ['provider_busy', 'last attempt busy'],
  ['engine_error', 'last attempt: engine error'],
  ['provider_error', 'last attempt: connection reset'],
  ['mid_stream', 'stream broke after first token'],
  ['no_route', 'no provider to try'],
]

export function describeMarket(market: Market, requests: SimRequest[]): MarketDescription {
  const providersByKind: Record<string, number> = {}
  for (const p of market.providers) providersByKind[p.kind] = (providersByKind[p.kind] ?? 0) + 1
  return {
    providersByKind,
    flakyProviders: market.providers.filter((p) => p.failureRate >= 0.1).length,
    slots: market.providers.reduce((total, p) => total + p.maxConcurrency, 0),
    conversationTurns: requests.filter((r) => r.sessionId !== undefined).length,
    arrivalSeconds: (requests.at(-1)?.at ?? 0) / 1000,
  }
}

/** The results as markdown: the set-up, the table, where our policy wins and loses, why requests failed, what a decision costs. */
export function renderMarkdown({ config, machine, market, summaries }: RoutingSimResults): string {
  const ours = summaries.filter((s) => isOurs(s))
  const baselines = summaries.filter((s) => !isOurs(s))
  const kinds = Object.entries(market.providersByKind)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ')
  const compared = summaries.map((s) => s.compared)
  return [
    `# Routing simulation: ${config.label}`,
    '',
    `${machine.date} · ${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · seed ${config.seed}`,
    '',
    `${number(config.providers)} simulated providers over ${config.models} models (${kinds}; ${market.flakyProviders} of them flaky, failing 10–35 % of attempts), ` +
      `${number(market.slots)} advertised slots, part of them taken by other routers' traffic. ${number(config.requests)} streamed requests ` +
      `arriving over ${market.arrivalSeconds.toFixed(0)} s of virtual time (${config.ratePerSecond}/s, Poisson; ${number(market.conversationTurns)} of them turns of conversations with a session id). ` +
      `Providers re-announce their load every ${config.announceMs / 1000} s. Every policy sees the same providers and requests and may make ${config.routing.maxAttemptsPerModel} attempts per request.`,
    '',
    '| Policy | Price paid / cheapest feasible | Latency p50 (÷ best feasible) | Latency p95 (÷ best feasible) | Failed requests | Served by liars | Attempts / request | Follow-up turns on the cached provider |',
    '|---|---|---|---|---|---|---|---|',
    ...summaries.map(
      (s) =>
        `| ${s.policy} | ${s.priceRatio.toFixed(2)}× | ${seconds(s.latencyMs.p50)} (${ratio(s.latencyMs.p50, s.bestLatencyMs.p50)}) | ` +
        `${seconds(s.latencyMs.p95)} (${ratio(s.latencyMs.p95, s.bestLatencyMs.p95)}) | ${number(s.failed)} (${percent(s.failed / s.requests)}) | ` +
        `${percent(s.servedBy.liar ?? 0)} | ${s.meanAttempts.toFixed(2)} | ${percent(s.cacheHitShare)} |`,
    ),
    '',
    `*Price paid / cheapest feasible*: Σ price paid ÷ Σ price of the cheapest provider that was feasible (serving the model, not failing, a free slot) when the request arrived. ` +
      `*Latency*: arrival to last token, failed attempts included; *best feasible*: the same percentile of the lowest expected latency among those feasible providers. ` +
      `Both over the served requests that had a feasible provider (${number(Math.min(...compared))}–${number(Math.max(...compared))} per policy); failed requests over all. ` +
      `A price ratio below 1 is possible: a request may be served by a provider that was not feasible at its arrival (an overbooked liar, or a slot freed by a later attempt). ` +
      `*Liars* advertise no load while overbooked. The variants are our policy with other \`RoutingConfig\` settings.`,
    '',
    '## Where our policy wins and where it does not',
    '',
    ...ours.flatMap((o) => baselines.map((b) => `- ${verdict(o, b)}`)),
    '',
    '## Why requests failed',
    '',
    `| Policy | ${CAUSES.map(([, label]) => label).join(' | ')} |`,
    `|---|${CAUSES.map(() => '---|').join('')}`,
    ...summaries.map((s) => `| ${s.policy} | ${CAUSES.map(([cause]) => number(s.failureCauses[cause] ?? 0)).join(' | ')} |`),
    '',
    ...ours.map((s) => {
      const busy = s.failureCauses.provider_busy ?? 0
      const attempts = s.meanAttempts * s.requests
      return `- ${s.policy}: ${percent(busy / Math.max(1, s.failed))} of its failed requests ended on a \`busy\` answer; ${percent((s.failedAttempts.provider_busy ?? 0) / attempts)} of all its attempts were answered \`busy\`.`
    }),
    '',
    '## Cost of the simulation',
    '',
    '| Policy | `plan` per request | Wall time of the run | Failed attempts (busy / other) |',
    '|---|---|---|---|',
    ...summaries.map((s) => {
      const busy = s.failedAttempts.provider_busy ?? 0
      const other = Object.values(s.failedAttempts).reduce((total, n) => total + n, 0) - busy
      return `| ${s.policy} | ${s.planMicros.toFixed(0)} µs | ${s.wallSeconds.toFixed(1)} s | ${number(busy)} / ${number(other)} |`
    }),
    '',
    `Our policy's \`plan\` is the router's \`planRoute\` over ${number(config.providers / config.models)} candidates of ${number(config.providers)} live offers; the baselines' is a filter and a sort over the same candidates.`,
    '',
  ].join('\n')
}

function isOurs(summary: PolicySummary): boolean {
  return summary.policy.startsWith('agora')
}

/** Figures within this share of each other count as level. */
const LEVEL = 0.01

/** Which of the four figures `ours` is better, level and worse on than `baseline`. */
function verdict(ours: PolicySummary, baseline: PolicySummary): string {
  const compare = (f: (typeof FIGURES)[number]) => {
    const [a, b] = [f.value(ours), f.value(baseline)]
    return Math.abs(a - b) <= LEVEL * Math.max(a, b) ? 0 : Math.sign(a - b)
  }
  const side = (sign: number) => FIGURES.filter((f) => compare(f) === sign).map((f) => `${f.name} (${f.format(ours)} against ${f.format(baseline)})`)
  const [wins, level, losses] = [side(-1), side(0), side(1)]
  const parts = [
    wins.length === FIGURES.length ? `better on all four: ${list(wins)}` : wins.length ? `better on ${list(wins)}` : '',
    level.length ? `level on ${list(level)}` : '',
    losses.length ? `**worse on ${list(losses)}**` : '',
  ]
  return `**${ours.policy} vs ${baseline.policy}**: ${parts.filter(Boolean).join('; ')}.`
}

function list(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function number(value: number): string {
  return value.toLocaleString('en-US')
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

function ratio(value: number, best: number): string {
  return `${(value / best).toFixed(2)}×`
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`
}
