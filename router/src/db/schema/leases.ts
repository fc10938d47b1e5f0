import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * A named job that one router replica at a time runs (the settler): held by `holder` until
 * `expires_at`, renewed while it runs, taken over once expired.
 */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
})

export type Lease = typeof leases.$inferSelect
