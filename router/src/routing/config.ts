import { z } from 'zod'

const weight = (value: number) => z.number().nonnegative().default(value)

/**
 * How the router ranks providers, remembers their health and keeps sessions sticky.
 * Every field has a default; docs/routing.md explains each one and the score formula.
 */
export const RoutingConfig = z.object({
  /** Exponents of the score: each provider's weight is the product of its ratios to the best one, raised to these. */
  weights: z
    .object({
      /** 2 makes the pick probability fall with the square of the price, as OpenRouter's default balancing does. */
      price: weight(2),
      latency: weight(1),
      throughput: weight(1),
      success: weight(4),
      /** 4, not 1: the routing simulation (bench/results/routing.md) fails 0.9 % of requests with it against 5.9 % with 1. */
      load: weight(4),
    })
    .prefault({}),
  /** The first attempt is drawn at random among this many best-scored providers, in proportion to their weights. */
  topK: z.number().int().positive().default(3),
  /** Share of requests that go first to a provider with fewer than `minSamples` measurements, so new ones can earn a score. */
  explorationShare: z.number().min(0).max(1).default(0.05),
  /** Decayed count of outcomes under which a provider counts as under-measured. */
  minSamples: z.number().nonnegative().default(5),
  /** Half-life of every measured average (TTFT, throughput, success, RTT): a sample's weight halves after this long. */
  halfLifeMs: z.number().positive().default(300_000),
  /** How much the load a provider advertises counts next to the requests the router itself has in flight there. */
  advertisedLoadWeight: z.number().min(0).max(1).default(0.5),
  /** Output tokens the price comparison expects of a request (fewer if its `max_tokens` is lower). */
  expectedOutputTokens: z.number().int().positive().default(256),
  /** Attempts a request may make in all (across providers and fallback models). */
  maxAttempts: z.number().int().positive().default(4),
  /** Attempts a request may make on one model before it moves to the next model in `models`. */
  maxAttemptsPerModel: z.number().int().positive().default(3),
  /** The uptime figure: success ratio over `windowMs`, counted in buckets of `bucketMs`. */
  uptime: z
    .object({
      windowMs: z.number().int().positive().default(3_600_000),
      bucketMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** Cooldown after failures: `baseMs × factor^(failures − 1)`, at most `maxMs`, then one half-open trial. */
  cooldown: z
    .object({
      baseMs: z.number().int().positive().default(1_000),
      factor: z.number().min(1).default(2),
      maxMs: z.number().int().positive().default(300_000),
      /** A half-open trial with no verdict after this long frees the slot for another trial. */
      probeTimeoutMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** Sticky sessions: session id → provider, least recently used evicted first, forgotten after `ttlMs` idle. */
  sessions: z
    .object({
      maxEntries: z.number().int().positive().default(100_000),
      ttlMs: z.number().int().positive().default(1_800_000),
    })
    .prefault({}),
})
export type RoutingConfig = z.infer<typeof RoutingConfig>
export type RoutingConfigInput = z.input<typeof RoutingConfig>
export type CooldownConfig = RoutingConfig['cooldown']
export type SessionsConfig = RoutingConfig['sessions']
export type UptimeConfig = RoutingConfig['uptime']
