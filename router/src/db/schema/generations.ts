import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { settlementBatches } from './settlement-batches.ts'

export const generationStatus = pgEnum('generation_status', ['completed', 'failed', 'cancelled'])
export type GenerationStatus = (typeof generationStatus.enumValues)[number]

/** One served request: who asked, which provider answered, what it took and what it cost. */
export const generations = pgTable(
  'generations',
  {
    /** The id the client sees (`gen-…`), so `GET /generation?id=` can find it. */
    id: text('id').primaryKey(),
    // The hold's account and key, and the hold: only ledger_settle_holds writes a generation,
    // from the hold it closes in the same statement, so these need no foreign keys of their own
    // (holds.key_id and credit_journal.account_id keep theirs; no account, key or hold is ever
    // deleted). Each was a check on every request's path (migration 0007).
    accountId: uuid('account_id').notNull(),
    keyId: uuid('key_id').notNull(),
    holdId: uuid('hold_id').unique(),
    model: text('model').notNull(),
    providerPeerId: text('provider_peer_id').notNull(),
    /** Lower-case payout address of the offer the request was served under: settlement credits it. */
    payout: text('payout'),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    /** Micro-USD charged. */
    cost: bigint('cost', { mode: 'bigint' }).notNull(),
    timeToFirstTokenMs: integer('time_to_first_token_ms'),
    durationMs: integer('duration_ms').notNull(),
    finishReason: text('finish_reason'),
    status: generationStatus('status').notNull(),
    /** The provider's signed receipt (`SignedReceipt` as JSON), when it sent a valid one. */
    receipt: jsonb('receipt'),
    /** The on-chain settlement batch that debits it and pays the provider; null until one takes it. */
    settlementBatchId: bigint('settlement_batch_id', { mode: 'bigint' }).references(() => settlementBatches.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('generations_account_created_idx').on(t.accountId, t.createdAt),
    index('generations_key_created_idx').on(t.keyId, t.createdAt),
    // What a provider served, for its operator's console page.
    index('generations_provider_idx').on(t.providerPeerId),
    // What the settler takes next, oldest first, and the generations of one batch for proofs.
    index('generations_unsettled_idx').on(t.createdAt, t.id).where(sql`${t.settlementBatchId} IS NULL AND ${t.cost} > 0`),
    index('generations_settlement_batch_idx').on(t.settlementBatchId),
    check('generations_payout_lower_hex', sql`${t.payout} ~ '^0x[0-9a-f]{40}$'`),
  ],
)

export type Generation = typeof generations.$inferSelect
