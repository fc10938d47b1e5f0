import { parseArgs } from 'node:util'
import { z } from 'zod'
import { RoutingConfig } from '../../../router/src/routing/config.ts'

const count = z.coerce.number().int().positive()
const share = z.coerce.number().min(0).max(1)

/** A flag whose value is JSON, checked by `schema`; `fallback` when absent. */
function json<T extends z.ZodType>(schema: T, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' })
        return z.NEVER
      }
    })
    .pipe(schema)
}

/** Our policy again with other settings, as rows of their own: how much of a loss a setting explains. */
const DEFAULT_VARIANTS = JSON.stringify({ 'load weight 4': { weights: { load: 4 } } })

/** Every setting, by its CLI flag name. */
const Settings = z.strictObject({
  requests: count.default(100_000),
  providers: count.default(1_000),
  models: count.default(5),
  rate: z.coerce.number().positive().default(150),
  'liar-share': share.default(0.1),
  'intermittent-share': share.default(0.1),
  'conversation-share': share.default(0.3),
  'announce-ms': count.default(2_000),
  seed: z.coerce.number().int().nonnegative().default(1),
  routing: json(RoutingConfig, '{}'),
  variants: json(z.record(z.string().min(1), RoutingConfig), DEFAULT_VARIANTS),
  label: z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash and underscore only').default('routing'),
})

/** The simulation's settings, parsed once in `run.ts`. */
export const SimConfig = Settings.transform((s) => ({
  /** Requests simulated per policy. */
  requests: s.requests,
  /** Simulated providers, spread evenly over the models; each serves one model. */
  providers: s.providers,
  models: s.models,
  /** Mean arrivals per second of virtual time (Poisson, counting every turn of a conversation). */
  ratePerSecond: s.rate,
  /** Providers that always advertise no load, whatever theirs is (and are overbooked). */
  liarShare: s['liar-share'],
  /** Providers that go through bad periods in which every request fails. */
  intermittentShare: s['intermittent-share'],
  /** Share of new arrivals that open a conversation of several turns under one session id. */
  conversationShare: s['conversation-share'],
  /** How often providers re-announce their offer with their current load (virtual ms). */
  announceMs: s['announce-ms'],
  seed: s.seed,
  /** Our policy's `RoutingConfig`, from JSON overriding the defaults (`--routing '{"advertisedLoadWeight":1}'`). */
  routing: s.routing,
  /** More runs of our policy, each named and with its own `RoutingConfig` (`--variants '{"name":{…}}'`; `'{}'` for none). */
  variants: s.variants,
  /** Names the result files. */
  label: s.label,
}))
export type SimConfig = z.infer<typeof SimConfig>

/**
 * Reads the settings from command-line flags (`--requests 10000 --seed 7`).
 * @example
 * const config = parseSimConfig(process.argv.slice(2))
 */
export function parseSimConfig(argv: string[]): SimConfig {
  const options = Object.fromEntries(Object.keys(Settings.shape).map((flag) => [flag, { type: 'string' as const }]))
  const { values } = parseArgs({ args: argv, options, strict: true })
  return SimConfig.parse(values)
}
