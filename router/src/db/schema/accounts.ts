import { sql } from 'drizzle-orm'
import { bigint, check, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** A customer: one wallet address and one balance of credits. */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Lower-case 0x address of the wallet that signs in and deposits. */
    address: text('address').notNull().unique(),
    /** Micro-USD available for new holds; always the sum of the account's journal rows. */
    balance: bigint('balance', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The last line of defence: whatever a query does, Postgres refuses a negative balance.
    check('accounts_balance_non_negative', sql`${t.balance} >= 0`),
    check('accounts_address_lower_hex', sql`${t.address} ~ '^0x[0-9a-f]{40}$'`),
  ],
)

export type Account = typeof accounts.$inferSelect
