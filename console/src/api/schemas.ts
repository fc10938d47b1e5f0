import { z } from 'zod'

/**
 * The router's management API (`/api`) as the console reads it. Amounts are micro-USD as
 * decimal strings, kept as strings here and formatted exactly (see `../format.ts`).
 */

const MicroUsd = z.string().regex(/^-?\d+$/)

export const Session = z.object({ address: z.string(), account_id: z.string(), expires_at: z.string() })
export type Session = z.infer<typeof Session>

export const Nonce = z.object({ nonce: z.string(), expires_at: z.string(), chain_id: z.number().int(), statement: z.string() })
export type Nonce = z.infer<typeof Nonce>

export const Account = z.object({
  id: z.string(),
  address: z.string(),
  balance_micro_usd: MicroUsd,
  created_at: z.string(),
  credits: z.object({
    deposited_micro_usd: MicroUsd,
    used_micro_usd: MicroUsd,
    adjusted_micro_usd: MicroUsd,
    held_micro_usd: MicroUsd,
    balance_micro_usd: MicroUsd,
  }),
})
export type Account = z.infer<typeof Account>

export const SpendReset = z.enum(['daily', 'weekly', 'monthly', 'never'])
export type SpendReset = z.infer<typeof SpendReset>

export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  spend_limit_micro_usd: MicroUsd.nullable(),
  spend_reset: SpendReset,
  rpm_limit: z.number().int().nullable(),
  tpm_limit: z.number().int().nullable(),
  allowed_models: z.array(z.string()).nullable(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
})
export type ApiKey = z.infer<typeof ApiKey>
export const ApiKeyList = z.object({ data: z.array(ApiKey) })
export const CreatedKey = ApiKey.extend({ secret: z.string() })
export type CreatedKey = z.infer<typeof CreatedKey>

/** What creating or editing a key sends; `null` removes a limit. */
export interface KeyLimits {
  name?: string
  spend_limit_micro_usd?: string | null
  spend_reset?: SpendReset
  rpm_limit?: number | null
  tpm_limit?: number | null
  allowed_models?: string[] | null
  expires_at?: string | null
}

export const JournalKind = z.enum(['deposit', 'hold', 'charge', 'release', 'refund', 'adjustment'])
export const JournalEntry = z.object({
  id: z.number().int(),
  kind: JournalKind,
  amount_micro_usd: MicroUsd,
  key_id: z.string().nullable(),
  hold_id: z.string().nullable(),
  generation_id: z.string().nullable(),
  ref: z.string().nullable(),
  note: z.string().nullable(),
  created_at: z.string(),
})
export type JournalEntry = z.infer<typeof JournalEntry>
export const Journal = z.object({ data: z.array(JournalEntry) })

export type UsageGroup = 'day' | 'model' | 'key'
export const UsageRow = z.object({
  day: z.string().optional(),
  model: z.string().optional(),
  key: z.string().optional(),
  name: z.string().nullable().optional(),
  requests: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  cost_micro_usd: MicroUsd,
})
export type UsageRow = z.infer<typeof UsageRow>
export const Usage = z.object({ group: z.enum(['day', 'model', 'key']), data: z.array(UsageRow) })

export const Generation = z.object({
  id: z.string(),
  key_id: z.string(),
  model: z.string(),
  provider: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  finish_reason: z.string().nullable(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  cost_micro_usd: MicroUsd,
  time_to_first_token_ms: z.number().nullable(),
  duration_ms: z.number(),
  settlement_batch_id: z.union([z.string(), z.number()]).nullable(),
  created_at: z.string(),
})
export type Generation = z.infer<typeof Generation>
export const GenerationPage = z.object({ data: z.array(Generation) })

/** Filters of the usage views. Dates are `YYYY-MM-DD` (UTC); `to` is exclusive. */
export interface UsageFilters {
  from?: string
  to?: string
  key_id?: string
  model?: string
}

export const ProviderSort = z.enum(['price', 'throughput', 'latency'])
export type ProviderSort = z.infer<typeof ProviderSort>

export const Settings = z.object({
  provider: z.object({
    sort: ProviderSort.nullable(),
    max_price: z.object({ prompt: z.string().nullable(), completion: z.string().nullable() }),
    ignore: z.array(z.string()),
    quantizations: z.array(z.string()).nullable(),
    allow_fallbacks: z.boolean(),
  }),
  allowed_models: z.array(z.string()).nullable(),
  low_balance_threshold_micro_usd: MicroUsd.nullable(),
  updated_at: z.string().nullable(),
})
export type Settings = z.infer<typeof Settings>
/** What saving settings sends: the whole document. */
export type SettingsInput = Omit<Settings, 'updated_at'>

const PricePerToken = z.object({ prompt: z.string(), completion: z.string() })

export const ProviderNode = z.object({
  peer_id: z.string(),
  name: z.string(),
  online: z.boolean(),
  offer_expires_at: z.string(),
  models: z.array(
    z.object({
      id: z.string(),
      context_length: z.number().int(),
      quantization: z.string().nullable(),
      pricing: PricePerToken,
      max_concurrency: z.number().int(),
      status: z.enum(['available', 'cooling_down', 'probing']),
      latency_ms: z.number().nullable(),
      throughput_tps: z.number().nullable(),
    }),
  ),
  served: z.object({ requests: z.number().int(), prompt_tokens: z.number().int(), completion_tokens: z.number().int(), charged_micro_usd: MicroUsd }),
})
export type ProviderNode = z.infer<typeof ProviderNode>
export const ProviderNodes = z.object({ data: z.array(ProviderNode) })

/** Where the router's escrow is (`GET /api/chain`). */
export const EscrowInfo = z.object({
  chain_id: z.number().int(),
  escrow: z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((value) => value as `0x${string}`),
  token: z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((value) => value as `0x${string}`),
  confirmations: z.number().int(),
})
export type EscrowInfo = z.infer<typeof EscrowInfo>
