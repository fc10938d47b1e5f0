import { eq, sql } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { accounts, type Account } from '../schema/index.ts'

/**
 * The account of a wallet, created on first sight. Addresses are stored lower-case, so any
 * checksum casing finds the same account. One statement, safe when two sign-ins race.
 * @example
 * const account = await ensureAccount(db, '0xAbC…')
 */
export async function ensureAccount(db: Database, address: string): Promise<Account> {
  const [account] = await db
    .insert(accounts)
    .values({ address: address.toLowerCase() })
    // A no-op update rather than DO NOTHING, so RETURNING yields the existing row too.
    .onConflictDoUpdate({ target: accounts.address, set: { address: sql`excluded.address` } })
    .returning()
  return account!
}

/**
 * The account of a wallet address, any casing, if it exists.
 * @example
 * const account = await findAccountByAddress(db, '0xAbC…')
 */
export async function findAccountByAddress(db: Database, address: string): Promise<Account | undefined> {
  const [account] = await db.select().from(accounts).where(eq(accounts.address, address.toLowerCase()))
  return account
}

/**
 * An account by id.
 * @example
 * const account = await getAccount(db, key.accountId)
 */
export async function getAccount(db: Database, accountId: string): Promise<Account | undefined> {
  const [account] = await db.select().from(accounts).where(eq(accounts.id, accountId))
  return account
}
