import { z } from 'zod'
import { EngineConfig } from './engines/index.ts'
import { DEFAULT_ANNOUNCE_INTERVAL_MS, DEFAULT_OFFER_TTL_MS, MAX_OFFER_TTL_MS } from '@agora/protocol'

/** Micro-USD per million tokens, written as an integer or a decimal string. */
const PricePerMTok = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform((value) => BigInt(value))

const Pricing = z.object({ inputPerMTok: PricePerMTok, outputPerMTok: PricePerMTok })

/** One model the node publishes, and how it maps to the engine's model. */
export const ModelConfig = z.object({
  /** The id published to the marketplace, e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  id: z.string().min(1),
  /** The engine's own id for it (an Ollama tag, a served model name); defaults to `id`. */
  upstream: z.string().min(1).optional(),
  contextLength: z.number().int().positive().optional(),
  quantization: z.string().max(32).optional(),
  /** Request parameters this model honours, announced so clients can `require_parameters`. */
  supportedParameters: z.array(z.string().min(1).max(64)).max(128).optional(),
  pricing: Pricing.optional(),
  maxConcurrency: z.number().int().positive().optional(),
})
export type ModelConfig = z.infer<typeof ModelConfig>

const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex private key') as z.ZodType<`0x${string}`>

/** The provider node's whole configuration, parsed once in main. */
export const ProviderConfig = z.object({
  /** Display name in offers and in responses' `provider` field. */
  name: z.string().min(1).max(64).default('provider'),
  listen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/0']),
  announce: z.array(z.string()).default([]),
  /** Router multiaddrs (ending in /p2p/<peer id>) to dial and stay connected to. */
  bootstrap: z.array(z.string()).min(1, 'at least one router address is needed'),
  /** libp2p identity, a protobuf-encoded private key in base64; a fresh one when absent. */
  peerPrivateKey: z.string().optional(),
  /** The payout wallet's key; a throwaway key when absent (earnings then go nowhere useful). */
  payoutPrivateKey: Hex32.optional(),
  engine: EngineConfig,
  /** Published models; when empty, every model the engine reports is published with `defaults`. */
  models: z.array(ModelConfig).default([]),
  defaults: z
    .object({
      contextLength: z.number().int().positive().default(8192),
      pricing: Pricing.default({ inputPerMTok: 100_000n, outputPerMTok: 300_000n }),
      maxConcurrency: z.number().int().positive().default(16),
    })
    .prefault({}),
  announceIntervalMs: z.number().int().positive().default(DEFAULT_ANNOUNCE_INTERVAL_MS),
  offerTtlMs: z.number().int().positive().max(MAX_OFFER_TTL_MS).default(DEFAULT_OFFER_TTL_MS),
  /** How often the engine's models are re-checked (health and discovery). */
  modelRefreshMs: z.number().int().positive().default(15_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})
export type ProviderConfig = z.infer<typeof ProviderConfig>
export type ProviderConfigInput = z.input<typeof ProviderConfig>

/** Environment variables that override fields of the config file. */
const ProviderEnv = z.object({
  PROVIDER_NAME: z.string().optional(),
  PROVIDER_BOOTSTRAP: z.string().optional(),
  PROVIDER_LISTEN: z.string().optional(),
  PROVIDER_PAYOUT_KEY: z.string().optional(),
  LOG_LEVEL: z.string().optional(),
})

const csv = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean)

/**
 * The config from a parsed config file plus environment overrides, validated. Errors
 * name the bad field (`models[0].pricing.inputPerMTok: …`).
 * @example
 * const config = loadProviderConfig(JSON.parse(readFileSync(path, 'utf8')), process.env) // in main.ts only
 */
export function loadProviderConfig(file: unknown, env: Record<string, string | undefined>): ProviderConfig {
  const e = ProviderEnv.parse(env)
  const base = (typeof file === 'object' && file !== null ? file : {}) as Record<string, unknown>
  const merged = {
    ...base,
    ...(e.PROVIDER_NAME ? { name: e.PROVIDER_NAME } : {}),
    ...(e.PROVIDER_BOOTSTRAP ? { bootstrap: csv(e.PROVIDER_BOOTSTRAP) } : {}),
    ...(e.PROVIDER_LISTEN ? { listen: csv(e.PROVIDER_LISTEN) } : {}),
    ...(e.PROVIDER_PAYOUT_KEY ? { payoutPrivateKey: e.PROVIDER_PAYOUT_KEY } : {}),
    ...(e.LOG_LEVEL ? { logLevel: e.LOG_LEVEL } : {}),
  }
  const parsed = ProviderConfig.safeParse(merged)
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'))
  return parsed.data
}

/** A config that does not validate; its message lists every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
