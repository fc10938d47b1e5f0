import { z } from 'zod'
import { DEFAULT_ANNOUNCE_INTERVAL_MS, DEFAULT_OFFER_TTL_MS, MAX_OFFER_TTL_MS, parsePeerAddress } from '@agora/protocol'
import { EngineConfig } from './engines/index.ts'

/** Micro-USD per million tokens, written as an integer or a decimal string. */
const PricePerMTok = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/, 'must be a string of digits')]).transform((value) => BigInt(value))

const Pricing = z.strictObject({ inputPerMTok: PricePerMTok, outputPerMTok: PricePerMTok })

const RouterAddress = z.string().refine(
  (address) => {
    try {
      parsePeerAddress(address)
      return true
    } catch {
      return false
    }
  },
  { error: (issue) => `must be a router multiaddr ending in /p2p/<peer id>, got ${JSON.stringify(issue.input)}` },
)

/** One model the node publishes, and how it maps to the engine's model. */
export const ModelConfig = z.strictObject({
  /** The id published to the marketplace, e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  id: z.string().min(1).max(256),
  /** The engine's own id for it (an Ollama tag, a served model name); defaults to `id`. */
  upstream: z.string().min(1).optional(),
  contextLength: z.number().int().positive().optional(),
  quantization: z.string().max(32).optional(),
  /** Request parameters this model honours, announced so clients can `require_parameters`. */
  supportedParameters: z.array(z.string().min(1).max(64)).max(128).optional(),
  pricing: Pricing.optional(),
  /** Requests that run at once. */
  maxConcurrency: z.number().int().positive().optional(),
  /** Requests that may wait for a free slot; beyond them the node answers busy at once. */
  maxQueue: z.number().int().nonnegative().optional(),
})
export type ModelConfig = z.infer<typeof ModelConfig>

/** Defaults of every model entry (and of every model the engine reports when `models` is empty). */
export const MODEL_DEFAULTS = {
  contextLength: 8192,
  pricing: { inputPerMTok: 100_000n, outputPerMTok: 300_000n },
  maxConcurrency: 16,
  maxQueue: 4,
} as const

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The provider node's whole configuration, parsed once in main. */
export const ProviderConfig = z.strictObject({
  /** Display name in offers and in responses' `provider` field. */
  name: z.string().min(1).max(64).default('provider'),
  /** libp2p listen multiaddrs. Routers answer over the connection the node dials, so none has to be reachable. */
  listen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/0']),
  /** Multiaddrs to announce instead of the listen ones (a public address, a port forward). */
  announce: z.array(z.string()).default([]),
  /** Router multiaddrs (ending in /p2p/<peer id>) to dial and stay connected to. */
  bootstrap: z.array(RouterAddress).min(1, 'at least one router address is needed'),
  engine: EngineConfig,
  /** Published models; when empty, every model the engine reports is published with `defaults`. */
  models: z.array(ModelConfig).default([]),
  defaults: z
    .strictObject({
      contextLength: z.number().int().positive().default(MODEL_DEFAULTS.contextLength),
      pricing: Pricing.default(MODEL_DEFAULTS.pricing),
      maxConcurrency: z.number().int().positive().default(MODEL_DEFAULTS.maxConcurrency),
      maxQueue: z.number().int().nonnegative().default(MODEL_DEFAULTS.maxQueue),
    })
    .prefault({}),
  /** The longest a request waits in a model's queue before the node answers busy. */
  queueTimeoutMs: z.number().int().positive().default(10_000),
  announceIntervalMs: z.number().int().positive().default(DEFAULT_ANNOUNCE_INTERVAL_MS),
  offerTtlMs: z.number().int().positive().max(MAX_OFFER_TTL_MS).default(DEFAULT_OFFER_TTL_MS),
  /** How often the engine's models are re-checked (health and discovery). */
  modelRefreshMs: z.number().int().positive().default(15_000),
  /** Redial of a lost router: the first retry after `minDelayMs`, doubling up to `maxDelayMs`. */
  reconnect: z
    .strictObject({
      minDelayMs: z.number().int().positive().default(1_000),
      maxDelayMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  /** On SIGTERM, how long in-flight requests may run on before they are cut. */
  drainTimeoutMs: z.number().int().nonnegative().default(60_000),
  /** The local HTTP port with `/health`, `/metrics` and `/status`; off while `port` is null. */
  ops: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).nullable().default(null),
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Log request bodies and generated output. Off by default: prompts are the clients' data. */
  logContent: z.boolean().default(false),
})
export type ProviderConfig = z.infer<typeof ProviderConfig>
export type ProviderConfigInput = z.input<typeof ProviderConfig>

/** Environment variables that override fields of the config file; main.ts passes `process.env`. */
export const PROVIDER_ENV = {
  PROVIDER_NAME: 'name',
  PROVIDER_BOOTSTRAP: 'bootstrap (comma-separated)',
  PROVIDER_LISTEN: 'listen (comma-separated)',
  PROVIDER_ANNOUNCE: 'announce (comma-separated)',
  PROVIDER_ENGINE_API_KEY: 'engine.apiKey',
  PROVIDER_OPS_PORT: 'ops.port',
  PROVIDER_OPS_HOST: 'ops.host',
  PROVIDER_LOG_CONTENT: 'logContent (true or false)',
  LOG_LEVEL: 'logLevel',
} as const

const csv = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

const envOverrides = (env: Record<string, string | undefined>): Record<string, unknown> => {
  const value = (name: keyof typeof PROVIDER_ENV) => (env[name]?.trim() ? env[name].trim() : undefined)
  const overrides: Record<string, unknown> = {}
  if (value('PROVIDER_NAME')) overrides.name = value('PROVIDER_NAME')
  if (value('PROVIDER_BOOTSTRAP')) overrides.bootstrap = csv(value('PROVIDER_BOOTSTRAP')!)
  if (value('PROVIDER_LISTEN')) overrides.listen = csv(value('PROVIDER_LISTEN')!)
  if (value('PROVIDER_ANNOUNCE')) overrides.announce = csv(value('PROVIDER_ANNOUNCE')!)
  if (value('PROVIDER_OPS_PORT')) overrides.opsPort = Number(value('PROVIDER_OPS_PORT'))
  if (value('PROVIDER_OPS_HOST')) overrides.opsHost = value('PROVIDER_OPS_HOST')
  if (value('PROVIDER_ENGINE_API_KEY')) overrides.engineApiKey = value('PROVIDER_ENGINE_API_KEY')
  if (value('PROVIDER_LOG_CONTENT')) overrides.logContent = value('PROVIDER_LOG_CONTENT') === 'true' || value('PROVIDER_LOG_CONTENT') === '1'
  if (value('LOG_LEVEL')) overrides.logLevel = value('LOG_LEVEL')
  return overrides
}

/**
 * Drops comment keys: any key that starts with `//`, at any depth. They let a JSON config
 * file carry its own explanations (`"// models": "…"`), as `provider-node init` writes it.
 */
export function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('//'))
      .map(([key, inner]) => [key, stripComments(inner)]),
  )
}

/**
 * The config from a parsed config file plus environment overrides, validated. Unknown
 * fields are errors (a typo must not be ignored); keys starting with `//` are comments.
 * Errors name the bad field (`models.0.pricing.inputPerMTok: …`).
 * @example
 * const config = loadProviderConfig(JSON.parse(readFileSync(path, 'utf8')), process.env) // in main.ts only
 */
export function loadProviderConfig(file: unknown, env: Record<string, string | undefined> = {}): ProviderConfig {
  const base = stripComments(typeof file === 'object' && file !== null && !Array.isArray(file) ? file : {}) as Record<string, unknown>
  const { opsPort, opsHost, engineApiKey, ...overrides } = envOverrides(env)
  const merged: Record<string, unknown> = { ...base, ...overrides }
  if (opsPort !== undefined || opsHost !== undefined) {
    merged.ops = { ...(base.ops as object | undefined), ...(opsPort !== undefined ? { port: opsPort } : {}), ...(opsHost !== undefined ? { host: opsHost } : {}) }
  }
  if (engineApiKey !== undefined) merged.engine = { ...(base.engine as object | undefined), apiKey: engineApiKey }
  const parsed = ProviderConfig.safeParse(merged)
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map(describeIssue).join('\n'))
  return parsed.data
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown field (a typo? comments are keys starting with //)`).join('\n')
  }
  return `${path || '(root)'}: ${issue.message}`
}

/** A config that does not validate; its message lists every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
