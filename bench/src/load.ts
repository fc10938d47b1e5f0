import { performance } from 'node:perf_hooks'
import { build, type Histogram } from 'hdr-histogram-js'

/** One request/response with the server under test; resolves with the figure it measured, in microseconds. */
export type Exchange = () => Promise<number>

/** Percentiles of one measured figure, in milliseconds. */
export interface LatencySummary {
  count: number
  meanMs: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

export interface LoadResult {
  concurrency: number
  /** Exchanges that completed successfully. */
  requests: number
  errors: number
  /** The first error's message, when there were errors. */
  firstError?: string
  /** Time spent under load, summed over every run recorded. */
  elapsedMs: number
  /** Successful exchanges per second over `elapsedMs`. */
  requestsPerSecond: number
  latency: LatencySummary
}

// One microsecond to ten minutes at three significant digits: 0.1% resolution at any scale.
const LOWEST_US = 1
const HIGHEST_US = 600_000_000

/**
 * Collects the figures of one or more closed-loop runs at one concurrency: an HDR
 * histogram of the successful exchanges, the failures, and the time under load.
 */
export class LoadRecorder {
  readonly #histogram: Histogram = build({ lowestDiscernibleValue: LOWEST_US, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 })
  #errors = 0
  #firstError: string | undefined
  #elapsedMs = 0

  constructor(readonly concurrency: number) {}

  /**
   * Runs `concurrency` closed-loop clients for `durationMs`, each sending its next request
   * as soon as its previous one completes. A stalled server therefore slows the clients
   * down rather than piling up requests: tail latencies at saturation are those of
   * `concurrency` requests in flight, no more.
   * @example
   * const recorder = new LoadRecorder(64)
   * await recorder.run(chatExchange(target, body), 10_000)
   * const result = recorder.result()
   * @returns this run's own successful exchanges per second
   */
  async run(exchange: Exchange, durationMs: number): Promise<number> {
    const before = this.#histogram.totalCount
    const started = performance.now()
    const deadline = started + durationMs
    const client = async () => {
      while (performance.now() < deadline) {
        try {
          this.#histogram.recordValue(Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(await exchange()))))
        } catch (error) {
          this.#errors++
          this.#firstError ??= error instanceof Error ? error.message : String(error)
        }
      }
    }
    await Promise.all(Array.from({ length: this.concurrency }, client))
    const elapsedMs = performance.now() - started
    this.#elapsedMs += elapsedMs
    return elapsedMs > 0 ? ((this.#histogram.totalCount - before) * 1000) / elapsedMs : 0
  }

  /** The figures so far; frees the histogram, so call it once, at the end. */
  result(): LoadResult {
    const histogram = this.#histogram
    const ms = (us: number) => us / 1000
    const latency: LatencySummary = {
      count: histogram.totalCount,
      meanMs: ms(histogram.mean),
      p50Ms: ms(histogram.getValueAtPercentile(50)),
      p90Ms: ms(histogram.getValueAtPercentile(90)),
      p99Ms: ms(histogram.getValueAtPercentile(99)),
      p999Ms: ms(histogram.getValueAtPercentile(99.9)),
      maxMs: ms(histogram.maxValue),
    }
    histogram.destroy()
    return {
      concurrency: this.concurrency,
      requests: latency.count,
      errors: this.#errors,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
      elapsedMs: this.#elapsedMs,
      requestsPerSecond: this.#elapsedMs > 0 ? (latency.count * 1000) / this.#elapsedMs : 0,
      latency,
    }
  }
}
