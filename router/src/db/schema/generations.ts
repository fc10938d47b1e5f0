import { bigint, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { apiKeys } from './api-keys.ts'
import { holds } from './holds.ts'

export const generationStatus = pgEnum('generation_status', ['completed', 'failed', 'cancelled'])
export type GenerationStatus = (typeof generationStatus.enumValues)[number]

/** One served request: who asked, which provider answered, what it took and what it cost. */
export const generations = pgTable(
  'generations',
  {
    /** The id the client sees (`gen-…`), so `GET /generation?id=` can find it. */
    id: text('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    keyId: uuid('key_id')
      .notNull()
      .references(() => apiKeys.id),
    holdId: uuid('hold_id')
      .unique()
      .references(() => holds.id),
    model: text('model').notNull(),
    providerPeerId: text('provider_peer_id').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    /** Micro-USD charged. */
    cost: bigint('cost', { mode: 'bigint' }).notNull(),
    timeToFirstTokenMs: integer('time_to_first_token_ms'),
    durationMs: integer('duration_ms').notNull(),
    finishReason: text('finish_reason'),
    status: generationStatus('status').notNull(),
    /** The provider's signed receipt, once the receipts issue lands. */
    receipt: jsonb('receipt'),
    /** The on-chain settlement batch that paid the provider, once settlement lands. */
    settlementBatchId: text('settlement_batch_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('generations_account_created_idx').on(t.accountId, t.createdAt),
    index('generations_key_created_idx').on(t.keyId, t.createdAt),
    // What a provider served, for its operator's console page.
    index('generations_provider_idx').on(t.providerPeerId),
  ],
)

export type Generation = typeof generations.$inferSelect
