import { classifyFailure, type FailureKind } from './failure.ts'
import type { Attempt, RoutingContext } from './plan.ts'

/** What a failed attempt means: whose fault it was, and whether the request may go to the next attempt. */
export interface AttemptFailure {
  /** The provider's failure, or undefined when it was not the provider's fault. */
  kind: FailureKind | undefined
  /**
   * True when the next attempt may be tried: the provider failed before sending anything.
   * The caller still stops at its deadline, and once the client has gone.
   */
  retry: boolean
}

export interface AttemptTrackerParameters {
  /** Whether the response streams: only then is the first frame a time to first token. */
  streamed: boolean
  /** The request's session, bound to this provider once it answers. */
  sessionId?: string
}

export type AttemptTrackerContext = Pick<RoutingContext, 'measurements' | 'cooldown' | 'sessions' | 'now'>

/**
 * The bookkeeping of one attempt, so the relay reports what it saw and routing keeps its
 * measurements, cooldowns, sessions and in-flight counts right. Create it when the attempt
 * starts; call `firstByte` on the first frame that is not an error, then exactly one of
 * `succeed`, `fail` or `abandon` (later calls are ignored).
 * @example
 * const tracker = new AttemptTracker(ctx, attempt, { streamed, sessionId })
 * try {
 *   const first = await open(attempt)
 *   tracker.firstByte()
 *   // … relay the response …
 *   tracker.succeed({ completionTokens: usage.completion_tokens })
 * } catch (error) {
 *   if (!tracker.fail(error).retry) throw error
 * }
 */
export class AttemptTracker {
  readonly #ctx: AttemptTrackerContext
  readonly #peerId: string
  readonly #model: string
  readonly #streamed: boolean
  readonly #sessionId: string | undefined
  readonly #startedAt: number
  #firstByteAt: number | undefined
  #settled = false

  constructor(ctx: AttemptTrackerContext, attempt: Attempt, { streamed, sessionId }: AttemptTrackerParameters) {
    this.#ctx = ctx
    this.#peerId = attempt.candidate.offer.peerId
    this.#model = attempt.model
    this.#streamed = streamed
    this.#sessionId = sessionId
    this.#startedAt = ctx.now()
    ctx.measurements.begin(this.#peerId, this.#model)
    ctx.cooldown.begin(this.#peerId, this.#model)
  }

  /** The provider sent its first frame: it is up (closes its cooldown) and now serves the session. */
  firstByte(): void {
    if (this.#settled || this.#firstByteAt !== undefined) return
    this.#firstByteAt = this.#ctx.now()
    this.#ctx.cooldown.recordSuccess(this.#peerId, this.#model)
    if (this.#sessionId !== undefined) this.#ctx.sessions.bind(this.#sessionId, this.#peerId)
  }

  /** The response completed; `completionTokens` from its usage gives the throughput. */
  succeed({ completionTokens }: { completionTokens?: number } = {}): void {
    if (this.#settled) return
    this.firstByte()
    const now = this.#ctx.now()
    const firstByteAt = this.#firstByteAt!
    // A stream's first frame carries the first token; a plain response's throughput includes its prefill.
    const tokens = this.#streamed ? (completionTokens ?? 0) - 1 : (completionTokens ?? 0)
    const seconds = (now - (this.#streamed ? firstByteAt : this.#startedAt)) / 1000
    this.#ctx.measurements.recordSuccess(this.#peerId, this.#model, {
      ...(this.#streamed ? { ttftMs: firstByteAt - this.#startedAt } : {}),
      ...(tokens > 0 && seconds > 0 ? { tokensPerSecond: tokens / seconds } : {}),
    })
    this.#settle()
  }

  /** The attempt failed with `error`: counts it against the provider if it was its fault. */
  fail(error: unknown): AttemptFailure {
    if (this.#settled) return { kind: undefined, retry: false }
    const kind = classifyFailure(error)
    if (kind) {
      this.#ctx.cooldown.recordFailure(this.#peerId, this.#model, kind)
      this.#ctx.measurements.recordFailure(this.#peerId, this.#model, kind)
    } else {
      this.#ctx.cooldown.release(this.#peerId, this.#model)
    }
    this.#settle()
    return { kind, retry: kind !== undefined && this.#firstByteAt === undefined }
  }

  /** The attempt ended with no verdict on the provider (the client left first). */
  abandon(): void {
    if (this.#settled) return
    this.#ctx.cooldown.release(this.#peerId, this.#model)
    this.#settle()
  }

  #settle(): void {
    this.#settled = true
    this.#ctx.measurements.end(this.#peerId, this.#model)
  }
}
