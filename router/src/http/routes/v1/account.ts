import { Hono } from 'hono'
import { InvalidRequestError, MarketError, usdNumber as usd } from '@agora/protocol'
import { creditsSummary } from '../../../billing/ledger.ts'
import { keySpend } from '../../../billing/spend.ts'
import type { Database } from '../../../db/index.ts'
import { getGeneration } from '../../../db/queries/generations.ts'

/** 404 for a generation id that is unknown or belongs to another account. */
class GenerationNotFoundError extends MarketError {
  override name = 'GenerationNotFoundError'
  constructor(id: string) {
    super(404, 'invalid_request_error', 'generation_not_found', `No generation \`${id}\` for this account`, { param: 'id' })
  }
}

/**
 * What a key can ask about itself and its account, in OpenRouter's shapes:
 * `GET /v1/generation?id=`, `GET /v1/key`, `GET /v1/credits`. Amounts are USD.
 */
export function accountRoutes({ db }: { db: Database }): Hono {
  return new Hono()
    .get('/generation', async (c) => {
      const id = c.req.query('id')
      if (!id) throw new InvalidRequestError('Query parameter `id` is required', { param: 'id' })
      const generation = await getGeneration(db, { id, accountId: c.var.apiKey.accountId })
      if (!generation) throw new GenerationNotFoundError(id)
      return c.json({
        data: {
          id: generation.id,
          model: generation.model,
          provider: generation.providerPeerId,
          created_at: generation.createdAt.toISOString(),
          status: generation.status,
          finish_reason: generation.finishReason,
          tokens_prompt: generation.promptTokens,
          tokens_completion: generation.completionTokens,
          total_cost: usd(generation.cost),
          total_cost_micro_usd: generation.cost.toString(),
          latency: generation.timeToFirstTokenMs,
          generation_time: generation.durationMs,
          settlement_batch_id: generation.settlementBatchId?.toString() ?? null,
        },
      })
    })
    .get('/key', async (c) => {
      const key = c.var.apiKey
      const [daily, weekly, monthly, period] = await Promise.all([
        keySpend(db, { id: key.id, spendReset: 'daily' }),
        keySpend(db, { id: key.id, spendReset: 'weekly' }),
        keySpend(db, { id: key.id, spendReset: 'monthly' }),
        keySpend(db, key),
      ])
      const remaining = key.spendLimit === null ? null : key.spendLimit - period.spent - period.held
      return c.json({
        data: {
          label: key.name,
          prefix: key.prefix,
          limit: key.spendLimit === null ? null : usd(key.spendLimit),
          limit_reset: key.spendReset,
          limit_remaining: remaining === null ? null : usd(remaining > 0n ? remaining : 0n),
          usage: usd(period.spent),
          usage_daily: usd(daily.spent),
          usage_weekly: usd(weekly.spent),
          usage_monthly: usd(monthly.spent),
          rate_limit: { requests_per_minute: key.rpmLimit, tokens_per_minute: key.tpmLimit },
          allowed_models: key.allowedModels,
          expires_at: key.expiresAt?.toISOString() ?? null,
        },
      })
    })
    .get('/credits', async (c) => {
      const summary = (await creditsSummary(db, c.var.apiKey.accountId))!
      return c.json({
        data: {
          total_credits: usd(summary.deposited + summary.adjusted),
          total_usage: usd(summary.used),
          balance: usd(summary.balance),
          held: usd(summary.held),
        },
      })
    })
}
