import { sql } from 'drizzle-orm'
import { bigint, check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * How far the deposit watcher has read an escrow's events: every block before `next_block`
 * is applied to the ledger. Advanced in the same transaction that applies the events.
 */
export const chainCursors = pgTable(
  'chain_cursors',
  {
    chainId: integer('chain_id').notNull(),
    /** Lower-case address of the escrow. */
    escrow: text('escrow').notNull(),
    /** The first block not read yet. */
    nextBlock: bigint('next_block', { mode: 'bigint' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.escrow] }), check('chain_cursors_next_block_non_negative', sql`${t.nextBlock} >= 0`)],
)

export type ChainCursor = typeof chainCursors.$inferSelect
