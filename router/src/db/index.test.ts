import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, getTableName, is, sql } from 'drizzle-orm'
import { PgTable } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { deposit } from '../billing/ledger.ts'
import { migrate, openDatabase } from './index.ts'
import { ensureAccount, getAccount } from './queries/accounts.ts'
import * as schema from './schema/index.ts'
import { creditJournal } from './schema/index.ts'
import { randomAddress, testDrivers, useTestDatabase } from './testing.ts'

// Every table of the schema, and every migration of the journal drizzle-kit keeps beside them.
const TABLES = Object.values(schema)
  .filter((value) => is(value, PgTable))
  .map((table) => getTableName(table))
  .sort()
const MIGRATIONS = (JSON.parse(await readFile(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length

describe.each(await testDrivers())('migrations on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('create every table and record each migration once', async () => {
    const tables = await test.db.execute(sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
    expect(rows(tables).map((row) => row.table_name)).toEqual(TABLES)
    await migrate(test.db)
    const applied = await test.db.execute(sql`SELECT count(*)::integer AS count FROM drizzle.__drizzle_migrations`)
    expect(rows(applied)[0]?.count).toBe(MIGRATIONS)
  })

  it('make the credit journal append-only', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    await deposit(test.db, { accountId: account.id, amount: 10n, ref: `append-only:${account.id}` })
    await expect(test.db.update(creditJournal).set({ amount: 20n }).where(eq(creditJournal.accountId, account.id))).rejects.toThrow()
    await expect(test.db.delete(creditJournal).where(eq(creditJournal.accountId, account.id))).rejects.toThrow()
  })

  it('refuse a negative balance whatever the query', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    await expect(test.db.execute(sql`UPDATE accounts SET balance = -1 WHERE id = ${account.id}`)).rejects.toThrow()
  })
})

describe('PGlite in a directory', () => {
  it('keeps its data across restarts', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'agora-pglite-'))
    const dataDir = join(tmp, 'data', 'router')
    try {
      const first = await openDatabase({ dataDir })
      expect(first.kind).toBe('pglite')
      await migrate(first.db)
      const account = await ensureAccount(first.db, randomAddress())
      await deposit(first.db, { accountId: account.id, amount: 42n, ref: 'restart' })
      await first.close()

      const second = await openDatabase({ dataDir })
      await migrate(second.db)
      expect((await getAccount(second.db, account.id))?.balance).toBe(42n)
      await second.close()
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  })
})

/** Rows of a raw `execute`: postgres.js returns an array, PGlite an object with `rows`. */
function rows(result: unknown): Record<string, unknown>[] {
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows
}
