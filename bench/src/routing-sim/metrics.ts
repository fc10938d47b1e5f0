import { KINDS, Status, type RunRecord } from './simulate.ts'
import type { SimRequest } from './workload.ts'

/** The figures of one policy's run. */
export interface PolicySummary {
  policy: string
  requests: number
  served: number
  failed: number
  /** Failed requests by what ended them: the last attempt's error code, `mid_stream`, or `no_route` (an empty plan). */
  failureCauses: Record<string, number>
  /** Served requests that had a feasible provider at arrival: the base of the comparisons with the best. */
  compared: number
  /** Σ price paid ÷ Σ price of the cheapest feasible provider at arrival. */
  priceRatio: number
  /** Percentiles of latency (arrival to last token, failed attempts included), in ms. */
  latencyMs: Percentiles
  /** The same percentiles of the best expected latency among the providers feasible at arrival. */
  bestLatencyMs: Percentiles
  meanAttempts: number
  /** Share of served requests that needed more than one attempt. */
  retriedShare: number
  /** Share of served requests by the kind of provider that served them. */
  servedBy: Record<string, number>
  /** Share of served follow-up turns that ran where the previous turn's prompt was cached. */
  cacheHitShare: number
  failedAttempts: Record<string, number>
  attemptReasons: Record<string, number>
  /** Mean wall time of one `plan` call, in µs. */
  planMicros: number
  wallSeconds: number
  virtualSeconds: number
}

export interface Percentiles {
  p50: number
  p95: number
}

/**
 * Sums up a run: failures over all requests; price and latency over the served requests
 * that had a feasible provider at arrival, next to what the best such provider offered.
 */
export function summarize(policy: string, requests: SimRequest[], record: RunRecord): PolicySummary {
  const served: number[] = []
  const compared: number[] = []
  for (let i = 0; i < requests.length; i++) {
    if (record.status[i] !== Status.served) continue
    served.push(i)
    if (!Number.isNaN(record.cheapest[i]!)) compared.push(i)
  }
  const followUps = served.filter((i) => requests[i]!.cachedTokens > 0)
  const sum = (indices: number[], values: Float64Array) => indices.reduce((total, i) => total + values[i]!, 0)
  const share = (part: number, whole: number) => (whole ? part / whole : 0)
  const servedBy = Object.fromEntries(KINDS.map((kind, k) => [kind, share(served.filter((i) => record.servedByKind[i] === k).length, served.length)]))
  return {
    policy,
    requests: requests.length,
    served: served.length,
    failed: requests.length - served.length,
    failureCauses: record.failureCauses,
    compared: compared.length,
    priceRatio: sum(compared, record.paid) / sum(compared, record.cheapest),
    latencyMs: percentiles(compared.map((i) => record.latencyMs[i]!)),
    bestLatencyMs: percentiles(compared.map((i) => record.bestLatencyMs[i]!)),
    meanAttempts: share(record.attempts.reduce((total, n) => total + n, 0), requests.length),
    retriedShare: share(served.filter((i) => record.attempts[i]! > 1).length, served.length),
    servedBy,
    cacheHitShare: share(followUps.filter((i) => record.cacheHit[i] === 1).length, followUps.length),
    failedAttempts: record.failedAttempts,
    attemptReasons: record.attemptReasons,
    planMicros: share(record.planMs * 1000, record.planCalls),
    wallSeconds: record.wallMs / 1000,
    virtualSeconds: record.virtualMs / 1000,
  }
}

function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort()
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN)
  return { p50: at(0.5), p95: at(0.95) }
}
