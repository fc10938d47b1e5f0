import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { afterAll, beforeAll } from 'vitest'
import { deposit } from '../billing/ledger.ts'
import { migrate, openDatabase, type Database, type OpenedDatabase } from './index.ts'
import { ensureAccount } from './queries/accounts.ts'
import { createKey, type CreateKeyParameters, type CreateKeyReturnType } from './queries/keys.ts'
import type { Account } from './schema/index.ts'

// Test support, read by tests only: the one place that looks at DATABASE_URL and CI.

/** Where the PostgreSQL runs connect to create their throwaway databases. */
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export type TestDriver = 'pglite' | 'postgres'

let drivers: Promise<TestDriver[]> | undefined

/**
 * The drivers a suite runs against: in-memory PGlite, and PostgreSQL unless it cannot be
 * reached outside CI (in CI an unreachable Postgres fails the suite instead).
 * @example
 * describe.each(await testDrivers())('holds on %s', (driver) => { … })
 */
export function testDrivers(): Promise<TestDriver[]> {
  drivers ??= (async () => {
    if (process.env.CI) return ['pglite', 'postgres']
    const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} })
    try {
      await admin`SELECT 1`
      return ['pglite', 'postgres']
    } catch (error) {
      console.warn(`skipping the PostgreSQL runs: cannot connect to ${redact(ADMIN_URL)} (${(error as Error).message}); start Postgres or set DATABASE_URL`)
      return ['pglite']
    } finally {
      await admin.end({ timeout: 1 })
    }
  })()
  return drivers
}

/**
 * A fresh, migrated database for the enclosing `describe`, removed after it: in-memory
 * PGlite, or a throwaway `agora_test_<random>` PostgreSQL database.
 * @example
 * const test = useTestDatabase(driver)
 * it('…', async () => { await ensureAccount(test.db, address) })
 */
export function useTestDatabase(driver: TestDriver): { readonly db: Database; readonly kind: TestDriver } {
  let opened: OpenedDatabase | undefined
  let dropDatabase: (() => Promise<void>) | undefined
  beforeAll(async () => {
    if (driver === 'postgres') {
      const throwaway = await createThrowawayDatabase()
      dropDatabase = throwaway.drop
      opened = await openDatabase({ url: throwaway.url })
    } else {
      opened = await openDatabase()
    }
    await migrate(opened.db)
  })
  afterAll(async () => {
    await opened?.close()
    await dropDatabase?.()
  })
  return {
    kind: driver,
    get db() {
      if (!opened) throw new Error('the test database opens in beforeAll')
      return opened.db
    },
  }
}

/** A fresh PostgreSQL database `agora_test_<random>` on the test server, and a way to drop it. */
export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `agora_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE "${name}"`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      await admin.end({ timeout: 1 })
    },
  }
}

function redact(url: string): string {
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  return parsed.toString()
}

/** A random lower-case wallet address. */
export function randomAddress(): string {
  return `0x${randomBytes(20).toString('hex')}`
}

/**
 * A new account with `balance` deposited and one API key.
 * @example
 * const { account, key } = await fundedAccount(test.db, 1_000_000n)
 */
export async function fundedAccount(
  db: Database,
  balance: bigint,
  limits: Omit<CreateKeyParameters, 'accountId' | 'name'> = {},
): Promise<{ account: Account } & CreateKeyReturnType> {
  const account = await ensureAccount(db, randomAddress())
  if (balance > 0n) await deposit(db, { accountId: account.id, amount: balance, ref: `test:${randomBytes(8).toString('hex')}` })
  const { key, secret } = await createKey(db, { accountId: account.id, name: 'test', ...limits })
  return { account: { ...account, balance }, key, secret }
}
