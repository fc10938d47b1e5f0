import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'
import { RateLimitError } from '@agora/protocol'

/** A key's per-minute limits; `null` means unlimited. */
export interface RateLimits {
  rpm: number | null
  tpm: number | null
}

/** OpenAI's `x-ratelimit-*` headers for one request. */
export type RateLimitHeaders = Record<string, string>

export interface RateLimiterParameters {
  /** Shared across router replicas when given; per process otherwise. */
  redis?: Redis | undefined
}

const WINDOW_SECONDS = 60

/**
 * Requests- and tokens-per-minute limits per API key, in fixed one-minute windows. With
 * Redis the counters are shared by every router replica (an atomic INCRBY + TTL per
 * key); without it each process counts on its own, so N replicas allow up to N× the limit.
 * While Redis is unreachable, limits fall back to per-process counting.
 *
 * Requests are counted when admitted. Tokens are counted when a request finishes (its
 * real usage), and a request is refused while the window's tokens are already spent.
 */
export class KeyRateLimiter {
  readonly #redis: Redis | undefined
  readonly #limiters = new Map<string, RateLimiterAbstract>()

  constructor({ redis }: RateLimiterParameters = {}) {
    this.#redis = redis
  }

  /** Whether the limits are shared through Redis. */
  get shared(): boolean {
    return this.#redis !== undefined
  }

  /**
   * Admits one request of `keyId` or throws a `RateLimitError` (429) whose `retryAfterMs`
   * is the time until the window resets. Returns the headers to send with the response.
   */
  async admit(keyId: string, limits: RateLimits): Promise<RateLimitHeaders> {
    const headers: RateLimitHeaders = {}
    if (limits.tpm !== null) {
      const tokens = (await this.#limiter('tpm', limits.tpm).get(keyId)) ?? undefined
      const used = tokens?.consumedPoints ?? 0
      const resetMs = tokens?.msBeforeNext ?? WINDOW_SECONDS * 1000
      Object.assign(headers, window('tokens', limits.tpm, limits.tpm - used, resetMs))
      if (used >= limits.tpm) throw withHeaders(new RateLimitError(`Rate limit reached: ${limits.tpm} tokens per minute`, resetMs, 'tokens_rate_limit_exceeded'), headers)
    }
    if (limits.rpm !== null) {
      try {
        const result = await this.#limiter('rpm', limits.rpm).consume(keyId, 1)
        Object.assign(headers, window('requests', limits.rpm, result.remainingPoints, result.msBeforeNext))
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection
        Object.assign(headers, window('requests', limits.rpm, 0, rejection.msBeforeNext))
        throw withHeaders(new RateLimitError(`Rate limit reached: ${limits.rpm} requests per minute`, rejection.msBeforeNext), headers)
      }
    }
    return headers
  }

  /** Counts the tokens a finished request used against the key's tokens-per-minute window. */
  async recordTokens(keyId: string, limits: RateLimits, tokens: number): Promise<void> {
    if (limits.tpm === null || tokens <= 0) return
    await this.#limiter('tpm', limits.tpm).penalty(keyId, tokens)
  }

  /** One limiter per (kind, points): the library fixes `points` per instance; counters live under the kind. */
  #limiter(kind: 'rpm' | 'tpm', points: number): RateLimiterAbstract {
    const id = `${kind}:${points}`
    let limiter = this.#limiters.get(id)
    if (!limiter) {
      const options = { keyPrefix: `agora:${kind}`, points, duration: WINDOW_SECONDS }
      // When Redis is unreachable, each process counts on its own rather than failing requests.
      limiter = this.#redis
        ? new RateLimiterRedis({ ...options, storeClient: this.#redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options)
      this.#limiters.set(id, limiter)
    }
    return limiter
  }
}

function window(unit: 'requests' | 'tokens', limit: number, remaining: number, resetMs: number): RateLimitHeaders {
  return {
    [`x-ratelimit-limit-${unit}`]: String(limit),
    [`x-ratelimit-remaining-${unit}`]: String(Math.max(0, remaining)),
    [`x-ratelimit-reset-${unit}`]: `${Math.max(0, Math.ceil(resetMs / 1000))}s`,
  }
}

/** Rate-limit headers travel with the 429 so the error handler can send them. */
function withHeaders(error: RateLimitError, headers: RateLimitHeaders): RateLimitError {
  Object.assign(error.headers, headers, { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) })
  return error
}
