import { and, eq, gt, lte } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { accounts, sessions, signInNonces } from '../schema/index.ts'

/**
 * Stores a sign-in nonce until `expiresAt`, and drops the nonces that expired unused.
 * @example
 * await storeNonce(db, { nonce: generateSiweNonce(), expiresAt: new Date(Date.now() + 600_000) })
 */
export async function storeNonce(db: Database, { nonce, expiresAt, now = new Date() }: { nonce: string; expiresAt: Date; now?: Date }): Promise<void> {
  await db.delete(signInNonces).where(lte(signInNonces.expiresAt, now))
  await db.insert(signInNonces).values({ nonce, expiresAt })
}

/**
 * Uses up a nonce: true exactly once for a nonce that was stored and has not expired, on
 * whichever replica asks first. One statement, so two sign-ins racing with the same nonce
 * cannot both succeed.
 * @example
 * if (!(await consumeNonce(db, { nonce: message.nonce }))) throw new AuthenticationError(…)
 */
export async function consumeNonce(db: Database, { nonce, now = new Date() }: { nonce: string; now?: Date }): Promise<boolean> {
  const used = await db
    .delete(signInNonces)
    .where(and(eq(signInNonces.nonce, nonce), gt(signInNonces.expiresAt, now)))
    .returning({ nonce: signInNonces.nonce })
  return used.length > 0
}

export interface CreateSessionParameters {
  /** Hex SHA-256 of the session id the cookie carries. */
  idHash: string
  accountId: string
  expiresAt: Date
  now?: Date
}

/**
 * Opens a session of an account, and drops the sessions that have expired.
 * @example
 * await createSession(db, { idHash: hashSessionId(id), accountId, expiresAt })
 */
export async function createSession(db: Database, { idHash, accountId, expiresAt, now = new Date() }: CreateSessionParameters): Promise<void> {
  await db.delete(sessions).where(lte(sessions.expiresAt, now))
  await db.insert(sessions).values({ idHash, accountId, expiresAt })
}

/** A live session and the account it signs in. */
export interface ActiveSession {
  idHash: string
  accountId: string
  /** Lower-case wallet address of the account. */
  address: string
  expiresAt: Date
}

/**
 * The unexpired session with this id hash, with its account's address.
 * @example
 * const session = await findSession(db, { idHash: hashSessionId(cookie) })
 */
export async function findSession(db: Database, { idHash, now = new Date() }: { idHash: string; now?: Date }): Promise<ActiveSession | undefined> {
  const [session] = await db
    .select({ idHash: sessions.idHash, accountId: sessions.accountId, address: accounts.address, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now)))
  return session
}

/**
 * Ends a session (logout). Returns false when there was none.
 * @example
 * await deleteSession(db, { idHash })
 */
export async function deleteSession(db: Database, { idHash }: { idHash: string }): Promise<boolean> {
  const deleted = await db.delete(sessions).where(eq(sessions.idHash, idHash)).returning({ idHash: sessions.idHash })
  return deleted.length > 0
}
