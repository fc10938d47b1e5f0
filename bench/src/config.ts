import { parseArgs } from 'node:util'
import { z } from 'zod'

const seconds = z.coerce.number().nonnegative()
const count = z.coerce.number().int().positive()

/** Every setting, by its CLI flag name; `BENCH_<FLAG_IN_CAPS>` in the environment is the fallback. */
const Settings = z.strictObject({
  'upstream-latency-ms': z.coerce.number().int().nonnegative().default(10),
  tokens: count.default(8),
  'inter-token-ms': z.coerce.number().int().nonnegative().default(2),
  'warmup-seconds': seconds.default(5),
  'phase-warmup-seconds': seconds.default(1),
  seconds: z.coerce.number().positive().default(10),
  rounds: count.default(5),
  concurrency: count.default(64),
  'saturation-concurrency': count.default(256),
  'saturation-seconds': z.coerce.number().positive().default(30),
  'saturation-rounds': count.default(15),
  'ttft-concurrency': count.default(1),
  label: z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash and underscore only').default('skeleton'),
})

/** The benchmark's settings, parsed once in `run.ts`. */
export const BenchConfig = Settings.transform((s) => ({
  /** Fixed delay of the mock upstream before any byte of a response. */
  upstreamLatencyMs: s['upstream-latency-ms'],
  /** Content chunks per generation (and completion tokens reported). */
  tokens: s.tokens,
  /** Delay between streamed chunks; above 0 so the first token travels on its own. */
  interTokenMs: s['inter-token-ms'],
  /** Load on both paths before the first measurement, so both processes are JIT-warm. */
  warmupSeconds: s['warmup-seconds'],
  /** Unrecorded load at the start of every phase, at that phase's concurrency. */
  phaseWarmupSeconds: s['phase-warmup-seconds'],
  /** Length of each measured phase, per path. */
  seconds: s.seconds,
  /** Slices each phase is cut into, the paths taking turns. */
  rounds: s.rounds,
  /** The high concurrency at which added latency is also reported. */
  concurrency: s.concurrency,
  /** Closed-loop clients used to find requests/s at saturation. */
  saturationConcurrency: s['saturation-concurrency'],
  /**
   * `seconds` and `rounds` of the saturation phase, longer than the others: billing's share of
   * requests/s is judged there, and one round's pair of slices varies by several points on a
   * shared 2-core machine, so it takes many rounds.
   */
  saturationSeconds: s['saturation-seconds'],
  saturationRounds: s['saturation-rounds'],
  ttftConcurrency: s['ttft-concurrency'],
  /** Names the result files, `results/<label>.json` and `.md`. */
  label: s.label,
}))
export type BenchConfig = z.infer<typeof BenchConfig>

const envName = (flag: string) => `BENCH_${flag.toUpperCase().replaceAll('-', '_')}`

/**
 * Reads the settings from CLI flags, falling back to `BENCH_*` variables, then defaults.
 * @example
 * const config = parseBenchConfig(process.argv.slice(2), process.env) // `--seconds 5` or BENCH_SECONDS=5
 */
export function parseBenchConfig(argv: string[], env: Record<string, string | undefined>): BenchConfig {
  const flags = Object.keys(Settings.shape)
  const { values } = parseArgs({ args: argv, options: Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }])) })
  const merged = Object.fromEntries(flags.map((flag) => [flag, values[flag] ?? env[envName(flag)]]).filter(([, value]) => value !== undefined))
  const parsed = BenchConfig.safeParse(merged)
  if (!parsed.success) throw new Error(`invalid benchmark settings:\n${z.prettifyError(parsed.error)}`)
  return parsed.data
}
