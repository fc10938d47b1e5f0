import { and, asc, eq, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { apiKeys, generations, keyUsageDaily, type Generation } from '../schema/index.ts'

/**
 * A generation of the account, for `GET /api/v1/generation?id=`; another account's is not found.
 * @example
 * const generation = await getGeneration(db, { id: 'gen-…', accountId })
 */
export async function getGeneration(db: Database, { id, accountId }: { id: string; accountId: string }): Promise<Generation | undefined> {
  const [generation] = await db
    .select()
    .from(generations)
    .where(and(eq(generations.id, id), eq(generations.accountId, accountId)))
  return generation
}

export type UsageGranularity = 'day' | 'week' | 'month'

const TRUNCATE_TO: Record<UsageGranularity, SQL> = { day: sql.raw(`'day'`), week: sql.raw(`'week'`), month: sql.raw(`'month'`) }

export interface KeyUsageParameters {
  keyId: string
  /** The owner; another account's key has no usage. */
  accountId: string
  granularity: UsageGranularity
  /** Inclusive UTC date `YYYY-MM-DD`. */
  from?: string
  /** Exclusive UTC date `YYYY-MM-DD`. */
  to?: string
}

export interface KeyUsagePeriod {
  /** First UTC day of the period, `YYYY-MM-DD`; weeks start on Monday. */
  start: string
  /** Micro-USD charged. */
  spent: bigint
  requests: number
  promptTokens: number
  completionTokens: number
}

/**
 * A key's usage per UTC day, ISO week or month, oldest first, from the daily usage rows.
 * @example
 * const months = await keyUsage(db, { keyId, accountId, granularity: 'month' })
 */
export async function keyUsage(db: Database, { keyId, accountId, granularity, from, to }: KeyUsageParameters): Promise<KeyUsagePeriod[]> {
  // A literal, not a parameter: GROUP BY must repeat the selected expression exactly.
  const start = sql<string>`to_char(date_trunc(${TRUNCATE_TO[granularity]}, ${keyUsageDaily.day}::timestamp), 'YYYY-MM-DD')`
  const where: SQL[] = [eq(keyUsageDaily.keyId, keyId), eq(apiKeys.accountId, accountId)]
  if (from) where.push(gte(keyUsageDaily.day, from))
  if (to) where.push(lt(keyUsageDaily.day, to))
  return db
    .select({
      start,
      spent: sql`sum(${keyUsageDaily.spent})::bigint`.mapWith(BigInt),
      requests: sql`sum(${keyUsageDaily.requests})::integer`.mapWith(Number),
      promptTokens: sql`sum(${keyUsageDaily.promptTokens})::bigint`.mapWith(Number),
      completionTokens: sql`sum(${keyUsageDaily.completionTokens})::bigint`.mapWith(Number),
    })
    .from(keyUsageDaily)
    .innerJoin(apiKeys, eq(apiKeys.id, keyUsageDaily.keyId))
    .where(and(...where))
    .groupBy(start)
    .orderBy(asc(start))
}
