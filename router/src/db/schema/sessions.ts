import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'

/**
 * A Sign-In with Ethereum nonce the router handed out: good for one sign-in before it
 * expires. Kept in the database so that any replica can verify a nonce another one issued.
 */
export const signInNonces = pgTable(
  'sign_in_nonces',
  {
    nonce: text('nonce').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sign_in_nonces_expires_idx').on(t.expiresAt)],
)

/**
 * A console session of a signed-in wallet. Only a SHA-256 of the session id in the cookie
 * is stored, so a copy of the table opens no session.
 */
export const sessions = pgTable(
  'sessions',
  {
    /** Hex SHA-256 of the random session id the cookie carries. */
    idHash: text('id_hash').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_expires_idx').on(t.expiresAt), index('sessions_account_idx').on(t.accountId)],
)

export type Session = typeof sessions.$inferSelect
