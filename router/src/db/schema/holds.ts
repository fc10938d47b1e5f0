import { sql } from 'drizzle-orm'
import { bigint, check, index, pgEnum, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'
import { apiKeys } from './api-keys.ts'

export const holdStatus = pgEnum('hold_status', ['open', 'settled', 'released'])
export type HoldStatus = (typeof holdStatus.enumValues)[number]

/**
 * Credits set aside for one request before it runs: the most it can cost. Settling charges
 * the actual cost and gives back the rest; the reaper gives back holds past their deadline.
 */
export const holds = pgTable(
  'holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The account whose balance paid for it: ledger_place_holds inserts the hold only for the account row it just debited, so no foreign key checks it again (migration 0007). */
    accountId: uuid('account_id').notNull(),
    keyId: uuid('key_id')
      .notNull()
      .references(() => apiKeys.id),
    /** Micro-USD taken from the balance when the hold was placed. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    /** After this instant the reaper releases the hold if it is still open. */
    deadline: timestamp('deadline', { withTimezone: true }).notNull(),
    status: holdStatus('status').notNull().default('open'),
    /** Micro-USD charged when settled (at most `amount`). */
    charged: bigint('charged', { mode: 'bigint' }),
    /** Micro-USD of cost above `amount` that could not be charged (the hold was too small). */
    shortfall: bigint('shortfall', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    index('holds_account_idx').on(t.accountId),
    // The reaper's scan and the spend-limit check only ever look at open holds.
    index('holds_open_deadline_idx').on(t.deadline).where(sql`${t.status} = 'open'`),
    index('holds_open_key_idx').on(t.keyId).where(sql`${t.status} = 'open'`),
    check('holds_amount_non_negative', sql`${t.amount} >= 0`),
    check('holds_charged_within_amount', sql`${t.charged} >= 0 AND ${t.charged} <= ${t.amount}`),
    check('holds_shortfall_non_negative', sql`${t.shortfall} >= 0`),
  ],
)

export type Hold = typeof holds.$inferSelect
