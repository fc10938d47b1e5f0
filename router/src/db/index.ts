import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { is } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePglite, PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres, PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { PGliteThread } from './pglite-thread.ts'
import * as schema from './schema/index.ts'

export type Schema = typeof schema

/** The router's database, or a transaction in it: every query takes one as its first argument. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>

export interface OpenDatabaseParameters {
  /** A `postgres://` URL; when set the router uses PostgreSQL through postgres.js. */
  url?: string
  /** Where embedded PGlite keeps its files when `url` is unset; in memory when undefined too. */
  dataDir?: string
}

export interface OpenedDatabase {
  db: Database
  kind: 'pglite' | 'postgres'
  close(): Promise<void>
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url))

/**
 * Opens PostgreSQL when `url` is given, embedded PGlite otherwise. Call `migrate` next.
 * @example
 * const { db, close } = await openDatabase({ dataDir: './data/router' })
 */
export async function openDatabase({ url, dataDir }: OpenDatabaseParameters = {}): Promise<OpenedDatabase> {
  if (url) {
    // Postgres announces skipped `IF NOT EXISTS` steps as notices; they are not worth a log line.
    const client = postgres(url, { onnotice: () => {} })
    return { db: drizzlePostgres({ client, schema }), kind: 'postgres', close: () => client.end({ timeout: 5 }) }
  }
  if (dataDir) await mkdir(dataDir, { recursive: true })
  // On a thread of its own, so that its statements never stop the router's (pglite-thread.ts).
  const client = await PGliteThread.create(dataDir)
  // drizzle-orm/pglite calls only `query` and `transaction`, which PGliteThread has.
  return { db: drizzlePglite({ client: client as unknown as PGlite, schema }), kind: 'pglite', close: () => client.close() }
}

/**
 * Applies the committed migrations in `router/drizzle/` that the database has not seen yet.
 * @example
 * await migrate(db)
 */
export async function migrate(db: Database): Promise<void> {
  if (is(db, PgliteDatabase)) return migratePglite(db, { migrationsFolder })
  if (is(db, PostgresJsDatabase)) return migratePostgres(db, { migrationsFolder })
  throw new Error('migrate: unsupported database driver')
}
