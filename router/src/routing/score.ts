import type { RoutingConfig } from './config.ts'
import type { ProviderStats } from './measurements.ts'
import type { ProviderSort, RoutingRequest } from './preferences.ts'
import type { Candidate } from './registry.ts'

/** Highest load the score assumes, so a provider the hint calls full keeps a small weight. */
const MAX_LOAD = 0.95

/** A candidate with the figures it was scored on. */
export interface ScoredCandidate {
  candidate: Candidate
  stats: ProviderStats
  /** Expected cost of the request here, in micro-USD per million tokens × tokens (so 10⁻¹² USD). */
  cost: bigint
  /** Measured time to first token, or an estimate for a provider not yet measured. */
  latencyMs: number | undefined
  /** Measured output tokens per second, or the median of those measured. */
  tokensPerSecond: number | undefined
  /** Success rate smoothed by one imagined success, so one failure is not a verdict. */
  successRate: number
  /** Share of capacity in use: the router's own count, raised by the (discounted) advertised one. */
  load: number
  /** Whether enough recent outcomes back its figures (`minSamples`). */
  measured: boolean
  /** ln of its weight; 0 is best, and `exp(score)` is its relative chance in the weighted pick. */
  score: number
}

export interface ScoreInput {
  candidate: Candidate
  stats: ProviderStats
}

export type ScoreRequest = Pick<RoutingRequest, 'promptTokensEstimate' | 'maxTokens'>

/**
 * Scores the candidates of one model and returns them best first. A candidate's weight
 * is the product of its ratios to the best candidate on each figure, raised to the
 * configured exponents:
 *
 *   weight = (bestCost / cost)^price · (bestLatency / latency)^latency · (throughput / bestThroughput)^throughput
 *            · successRate^success · (1 − load)^load
 *
 * and `score = ln(weight)`. Figures nobody has measured yet drop out (every ratio is 1).
 */
export function scoreCandidates(inputs: ScoreInput[], request: ScoreRequest, config: RoutingConfig): ScoredCandidate[] {
  if (!inputs.length) return []
  const outputTokens = BigInt(Math.min(request.maxTokens ?? config.expectedOutputTokens, config.expectedOutputTokens))
  const promptTokens = BigInt(Math.max(0, Math.ceil(request.promptTokensEstimate)))
  const latencies = estimateLatencies(inputs.map((input) => input.stats))
  const throughputs = inputs.map((input) => input.stats.tokensPerSecond)
  const medianThroughput = median(throughputs)

  const figures = inputs.map(({ candidate, stats }, i) => {
    const { pricing, maxConcurrency, inFlight: advertised } = candidate.model
    const samples = stats.samples
    return {
      candidate,
      stats,
      cost: promptTokens * pricing.inputPerMTok + outputTokens * pricing.outputPerMTok,
      latencyMs: latencies[i],
      tokensPerSecond: throughputs[i] ?? medianThroughput,
      successRate: ((stats.successRate ?? 1) * samples + 1) / (samples + 1),
      load: Math.min(MAX_LOAD, Math.max(stats.inFlight, config.advertisedLoadWeight * advertised) / maxConcurrency),
      measured: samples >= config.minSamples,
    }
  })

  const bestCost = Math.min(...figures.map((f) => Number(f.cost)))
  const bestLatency = Math.min(...defined(figures.map((f) => f.latencyMs)))
  const bestThroughput = Math.max(...defined(figures.map((f) => f.tokensPerSecond)))
  const { weights } = config
  const scored = figures.map((f) => ({
    ...f,
    score:
      -weights.price * Math.log((Number(f.cost) + 1) / (bestCost + 1)) -
      (f.latencyMs === undefined ? 0 : weights.latency * Math.log(Math.max(f.latencyMs, 1) / Math.max(bestLatency, 1))) +
      (f.tokensPerSecond === undefined ? 0 : weights.throughput * Math.log(Math.max(f.tokensPerSecond, 1e-3) / bestThroughput)) +
      weights.success * Math.log(f.successRate) +
      weights.load * Math.log(1 - f.load),
  }))
  return scored.sort(byScore)
}

/**
 * The candidates strictly ordered by one figure (`provider.sort`), best first; ties go
 * to the better score. Unmeasured figures take their estimates, so a new provider sits
 * mid-field rather than last forever.
 */
export function sortByMetric(scored: ScoredCandidate[], sort: ProviderSort): ScoredCandidate[] {
  const key = (s: ScoredCandidate): number => {
    switch (sort) {
      case 'price':
        return Number(s.cost)
      case 'latency':
        return s.latencyMs ?? Infinity
      case 'throughput':
        return -(s.tokensPerSecond ?? -Infinity)
    }
  }
  return [...scored].sort((a, b) => (sort === 'price' ? compareBigint(a.cost, b.cost) : key(a) - key(b)) || byScore(a, b))
}

/** Best score first; then cheaper; then by peer id, so equal candidates keep a stable order. */
export function byScore(a: ScoredCandidate, b: ScoredCandidate): number {
  return b.score - a.score || compareBigint(a.cost, b.cost) || a.candidate.offer.peerId.localeCompare(b.candidate.offer.peerId)
}

/**
 * Latency to rank on: the measured TTFT; for a provider not measured yet, the median TTFT
 * shifted by how much farther (ping) it is than the median peer; when nobody has a TTFT
 * yet, the ping alone; else the median of the others.
 */
function estimateLatencies(stats: ProviderStats[]): (number | undefined)[] {
  const medianTtft = median(stats.map((s) => s.ttftMs))
  const medianRtt = median(stats.map((s) => s.rttMs))
  const estimates = stats.map(({ ttftMs, rttMs }) => {
    if (ttftMs !== undefined) return ttftMs
    if (medianTtft === undefined) return rttMs
    if (rttMs === undefined || medianRtt === undefined) return medianTtft
    return Math.max(rttMs, medianTtft + rttMs - medianRtt)
  })
  const fallback = median(estimates)
  return estimates.map((estimate) => estimate ?? fallback)
}

function median(values: (number | undefined)[]): number | undefined {
  const sorted = defined(values).sort((a, b) => a - b)
  if (!sorted.length) return undefined
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function defined(values: (number | undefined)[]): number[] {
  return values.filter((value): value is number => value !== undefined)
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
