import { sql } from 'drizzle-orm'
import { bigint, boolean, check, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'

/** A strict order of providers by one metric, as `provider.sort` of a request. */
export const providerSort = pgEnum('provider_sort', ['price', 'throughput', 'latency'])

/**
 * An account's defaults for every request that does not say otherwise: routing preferences
 * (the `provider` object of a request), the models the account may use, and the balance
 * under which the console warns. No row means no defaults.
 */
export const accountSettings = pgTable(
  'account_settings',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id),
    /** `provider.sort`; null for the weighted pick. */
    sort: providerSort('sort'),
    /** `provider.max_price.prompt`, micro-USD per million tokens; null for no maximum. */
    maxPromptPrice: bigint('max_prompt_price', { mode: 'bigint' }),
    /** `provider.max_price.completion`, micro-USD per million tokens; null for no maximum. */
    maxCompletionPrice: bigint('max_completion_price', { mode: 'bigint' }),
    /** `provider.ignore`: peer ids or offer names. */
    ignoredProviders: text('ignored_providers').array().notNull().default(sql`'{}'::text[]`),
    /** `provider.quantizations`, lower case; null for any. */
    quantizations: text('quantizations').array(),
    /** `provider.allow_fallbacks`. */
    allowFallbacks: boolean('allow_fallbacks').notNull().default(true),
    /** Models every key of the account may call at most; null for all. */
    allowedModels: text('allowed_models').array(),
    /** Micro-USD under which the console warns of a low balance; null for no warning. */
    lowBalanceThreshold: bigint('low_balance_threshold', { mode: 'bigint' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('account_settings_max_prompt_price_non_negative', sql`${t.maxPromptPrice} >= 0`),
    check('account_settings_max_completion_price_non_negative', sql`${t.maxCompletionPrice} >= 0`),
    check('account_settings_low_balance_non_negative', sql`${t.lowBalanceThreshold} >= 0`),
  ],
)

export type AccountSettings = typeof accountSettings.$inferSelect
export type NewAccountSettings = typeof accountSettings.$inferInsert
