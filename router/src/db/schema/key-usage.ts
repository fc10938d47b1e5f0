import { sql } from 'drizzle-orm'
import { bigint, date, integer, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core'
import { apiKeys } from './api-keys.ts'

/**
 * What a key spent and used per UTC day, kept up to date by settlement. The spend-limit
 * check sums at most 31 of these rows instead of scanning generations.
 */
export const keyUsageDaily = pgTable(
  'key_usage_daily',
  {
    keyId: uuid('key_id')
      .notNull()
      .references(() => apiKeys.id),
    /** UTC date, `YYYY-MM-DD`. */
    day: date('day', { mode: 'string' }).notNull(),
    /** Micro-USD charged. */
    spent: bigint('spent', { mode: 'bigint' }).notNull().default(sql`0`),
    requests: integer('requests').notNull().default(0),
    promptTokens: bigint('prompt_tokens', { mode: 'number' }).notNull().default(0),
    completionTokens: bigint('completion_tokens', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day] })],
)

export type KeyUsageDay = typeof keyUsageDaily.$inferSelect
