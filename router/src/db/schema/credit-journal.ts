import { sql } from 'drizzle-orm'
import { bigint, check, index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { apiKeys } from './api-keys.ts'
import { generations } from './generations.ts'

/**
 * Why a balance changed. `hold` takes credits aside, `release` gives a whole hold back and
 * `charge` takes the actual cost, so once a hold is closed its rows add up to minus the charge.
 */
export const journalKind = pgEnum('journal_kind', ['deposit', 'hold', 'charge', 'release', 'refund', 'adjustment'])
export type JournalKind = (typeof journalKind.enumValues)[number]

/**
 * Append-only record of every balance change (a trigger refuses UPDATE and DELETE). An
 * account's balance is the sum of its rows' `amount`.
 */
export const creditJournal = pgTable(
  'credit_journal',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    kind: journalKind('kind').notNull(),
    /** Signed micro-USD added to the balance. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    /** Null on a hold's rows, which reach their key through `hold_id` (listJournal joins it in); older rows may carry it. */
    keyId: uuid('key_id').references(() => apiKeys.id),
    /**
     * The hold a `hold`, `release` or `charge` row belongs to. Only the ledger's statements in
     * holds.ts write it, from the hold row they insert or close, so no foreign key checks it
     * again (migration 0007).
     */
    holdId: uuid('hold_id'),
    /** Null on a hold's rows: its generation is the one whose `hold_id` it is (listJournal joins it in). */
    generationId: text('generation_id').references(() => generations.id),
    /** Idempotency reference, e.g. `<tx hash>:<log index>` for a deposit. */
    ref: text('ref').unique(),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('credit_journal_account_idx').on(t.accountId, t.id),
    index('credit_journal_hold_idx').on(t.holdId),
    check(
      'credit_journal_amount_sign',
      sql`CASE ${t.kind}
        WHEN 'deposit' THEN ${t.amount} > 0
        WHEN 'hold' THEN ${t.amount} < 0
        WHEN 'charge' THEN ${t.amount} < 0
        WHEN 'release' THEN ${t.amount} > 0
        WHEN 'refund' THEN ${t.amount} > 0
        WHEN 'adjustment' THEN ${t.amount} <> 0
      END`,
    ),
  ],
)

export type JournalEntry = typeof creditJournal.$inferSelect
