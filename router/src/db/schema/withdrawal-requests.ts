import { sql } from 'drizzle-orm'
import { bigint, check, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'

/**
 * An account's pending on-chain withdrawal request (the escrow keeps one per account). The
 * router took `reserved` out of the spendable balance when it saw the request, so the
 * requested credits are not spent while the request thaws.
 */
export const withdrawalRequests = pgTable(
  'withdrawal_requests',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id),
    /** Micro-USD requested. */
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    /** Micro-USD taken out of the balance for it (an `adjustment`): `min(amount, balance)` when seen. */
    reserved: bigint('reserved', { mode: 'bigint' }).notNull(),
    /** When the escrow lets the account withdraw. */
    maturesAt: timestamp('matures_at', { withTimezone: true }).notNull(),
    /** `<tx hash>:<log index>` of the `WithdrawalRequested` event. */
    ref: text('ref').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('withdrawal_requests_amounts', sql`${t.amount} > 0 AND ${t.reserved} >= 0 AND ${t.reserved} <= ${t.amount}`)],
)

export type WithdrawalRequest = typeof withdrawalRequests.$inferSelect
