import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'

/** When a key's spend limit starts over; periods are UTC (weeks start on Monday). */
export const spendReset = pgEnum('spend_reset', ['daily', 'weekly', 'monthly', 'never'])
export type SpendReset = (typeof spendReset.enumValues)[number]

/** An API key of an account. Only a SHA-256 of the secret is stored; the secret is shown once. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    name: text('name').notNull(),
    /** The first characters of the secret, so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    /** Hex SHA-256 of the secret. */
    secretHash: text('secret_hash').notNull().unique(),
    /** Micro-USD the key may spend per period; null for no limit. */
    spendLimit: bigint('spend_limit', { mode: 'bigint' }),
    spendReset: spendReset('spend_reset').notNull().default('never'),
    /** Requests per minute; null for no limit. */
    rpmLimit: integer('rpm_limit'),
    /** Tokens per minute; null for no limit. */
    tpmLimit: integer('tpm_limit'),
    /** Models the key may call; null for all. */
    allowedModels: text('allowed_models').array(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('api_keys_account_idx').on(t.accountId),
    check('api_keys_spend_limit_non_negative', sql`${t.spendLimit} >= 0`),
    check('api_keys_rpm_limit_positive', sql`${t.rpmLimit} > 0`),
    check('api_keys_tpm_limit_positive', sql`${t.tpmLimit} > 0`),
  ],
)

export type ApiKey = typeof apiKeys.$inferSelect
