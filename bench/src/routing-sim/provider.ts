import { BusyError, MarketError, ProviderError } from '@agora/protocol'
import type { Random } from '../../../router/src/routing/random.ts'
import { exponential, jitter, normal, substream, uniform } from './distributions.ts'
import type { ProviderSpec } from './market.ts'
import type { SimRequest } from './workload.ts'

/** How one attempt at a provider goes. */
export type Service =
  /** It fails before the first token, `afterMs` after it went out; `occupies`: it held one of the provider's slots meanwhile. */
  | { ok: false; afterMs: number; error: Error; occupies: boolean }
  /** It streams: first token after `ttftMs`, last after `durationMs`; with `breakAtMs`, the stream breaks then instead. */
  | { ok: true; ttftMs: number; durationMs: number; breakAtMs: number | undefined }

/** Others' load holds for a while, then changes: mean length of a period. */
const OTHERS_PERIOD_MS = 60_000
const OTHERS_LOAD_SPREAD = 0.15
/** An intermittent provider's good and bad periods, on average. */
const MEAN_GOOD_MS = 240_000
const MEAN_BAD_MS = 60_000
/** Prompt tokens are read this many times faster than answer tokens are written. */
const PREFILL_SPEEDUP = 40
/** Answer length the queue-wait estimate of an overbooked provider assumes. */
const TYPICAL_OUTPUT_TOKENS = 180
/** Share of engine failures that happen mid-stream rather than before the first token. */
const MID_STREAM_SHARE = 0.25

// Errors as the relay sees them, so the real `classifyFailure` judges them.
export const STREAM_RESET = new ProviderError('the provider failed to complete the request', { cause: new Error('stream reset') })
const ENGINE_ERROR = new MarketError(500, 'server_error', 'engine_error', 'the engine failed')
const BUSY = new BusyError()

/**
 * A simulated provider at work. Its load is other routers' requests (a schedule drawn
 * from its seed, the same for every policy) plus the simulated router's. An honest one
 * refuses a request beyond its capacity with `busy`; a liar takes it and queues it. Its
 * TTFT grows with the square of its utilization, its speed falls by up to a third, and
 * the part of a prompt it has cached from the session's previous turn is not read again.
 */
export class SimProvider {
  readonly spec: ProviderSpec
  /** Requests of the simulated router it is working on. */
  ours = 0
  readonly #others: Schedule
  readonly #bad: Schedule | undefined

  constructor(spec: ProviderSpec, start: number) {
    this.spec = spec
    const limit = spec.kind === 'liar' ? 2 : 1
    this.#others = new Schedule(substream(spec.scheduleSeed, 1), start, (rng) => ({
      durationMs: exponential(rng, OTHERS_PERIOD_MS),
      value: Math.round(spec.maxConcurrency * clamp(spec.othersLoad + OTHERS_LOAD_SPREAD * normal(rng), 0, limit)),
    }))
    if (spec.kind === 'intermittent') {
      const rng = substream(spec.scheduleSeed, 2)
      let bad = rng() < MEAN_BAD_MS / (MEAN_GOOD_MS + MEAN_BAD_MS)
      this.#bad = new Schedule(rng, start, (next) => {
        const period = { durationMs: exponential(next, bad ? MEAN_BAD_MS : MEAN_GOOD_MS), value: bad ? 1 : 0 }
        bad = !bad
        return period
      })
    }
  }

  /** Requests it is working on: others' and ours. Times must not go back. */
  load(now: number): number {
    return this.#others.at(now) + this.ours
  }

  /** Whether it is in a bad period. */
  failing(now: number): boolean {
    return this.#bad?.at(now) === 1
  }

  /** Whether it could serve a request now: not failing, and with a free slot. */
  feasible(now: number): boolean {
    return !this.failing(now) && this.load(now) < this.spec.maxConcurrency
  }

  /** The load it would announce now. */
  advertisedLoad(now: number): number {
    return this.spec.kind === 'liar' ? 0 : Math.min(this.load(now), this.spec.maxConcurrency)
  }

  /** What `request` costs here, in micro-USD per million tokens × tokens. */
  cost(request: SimRequest): number {
    return request.promptTokens * Number(this.spec.inputPerMTok) + request.outputTokens * Number(this.spec.outputPerMTok)
  }

  /** Time to the last token of `request` if it went out now and nothing went wrong, on average. */
  expectedLatencyMs(request: SimRequest, now: number, cachedTokens: number): number {
    const { ttftMs, generationMs } = this.#timing(request, this.load(now), cachedTokens)
    return ttftMs + generationMs
  }

  /** Serves (or fails) one attempt of `request` going out now; `cachedTokens` of its prompt are in this provider's cache. */
  serve(request: SimRequest, now: number, cachedTokens: number, rng: Random): Service {
    const { rttMs, maxConcurrency, kind, failureRate } = this.spec
    if (this.failing(now)) return { ok: false, afterMs: uniform(rng, 200, 1500), error: rng() < 0.5 ? STREAM_RESET : ENGINE_ERROR, occupies: false }
    const load = this.load(now)
    if (kind !== 'liar' && load >= maxConcurrency) return { ok: false, afterMs: rttMs * jitter(rng, 0.2), error: BUSY, occupies: false }
    const timing = this.#timing(request, load, cachedTokens)
    const ttftMs = rttMs + (timing.ttftMs - rttMs) * jitter(rng, 0.3)
    const durationMs = ttftMs + timing.generationMs * jitter(rng, 0.2)
    const failure = rng()
    if (failure < failureRate * (1 - MID_STREAM_SHARE)) return { ok: false, afterMs: rttMs + (ttftMs - rttMs) * uniform(rng, 0.1, 1), error: ENGINE_ERROR, occupies: true }
    const breakAtMs = failure < failureRate ? ttftMs + (durationMs - ttftMs) * uniform(rng, 0.05, 1) : undefined
    return { ok: true, ttftMs, durationMs, breakAtMs }
  }

  #timing(request: SimRequest, load: number, cachedTokens: number): { ttftMs: number; generationMs: number } {
    const { rttMs, ttftMs, tokensPerSecond, maxConcurrency } = this.spec
    const utilization = Math.min(1, (load + 1) / maxConcurrency)
    const speed = tokensPerSecond / (1 + 0.5 * utilization)
    const prefillMs = ((request.promptTokens - cachedTokens) / (tokensPerSecond * PREFILL_SPEEDUP)) * 1000
    // Beyond its capacity (only a liar goes there) a request waits for a slot to free.
    const queueMs = (Math.max(0, load + 1 - maxConcurrency) / maxConcurrency) * (2 * ttftMs + (TYPICAL_OUTPUT_TOKENS / speed) * 1000)
    return {
      ttftMs: rttMs + (ttftMs + prefillMs) * (1 + utilization ** 2) + queueMs,
      generationMs: ((request.outputTokens - 1) / speed) * 1000,
    }
  }
}

/** A piecewise-constant value over time, drawn lazily period after period; read at times that never go back. */
class Schedule {
  readonly #rng: Random
  readonly #next: (rng: Random) => { durationMs: number; value: number }
  #value = 0
  #until: number

  constructor(rng: Random, start: number, next: (rng: Random) => { durationMs: number; value: number }) {
    this.#rng = rng
    this.#next = next
    this.#until = start
  }

  at(now: number): number {
    while (now >= this.#until) {
      const period = this.#next(this.#rng)
      this.#value = period.value
      this.#until += period.durationMs
    }
    return this.#value
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}
