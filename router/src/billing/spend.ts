import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { apiKeys, holds, keyUsageDaily, type ApiKey, type SpendReset } from '../db/schema/index.ts'

/**
 * How a key's spend limit is checked. Settlement adds each charge to the key's row for the
 * UTC day in `key_usage_daily` (an upsert inside the settle statement). The check sums the
 * days of the current period (at most 31 rows, read through the primary key) plus the key's
 * open holds (a partial index over open holds only), instead of summing the key's
 * generations, whose count grows with traffic. A `never` key sums all its days, one row per
 * day the key was used.
 *
 * The check is not atomic with `placeHold`: requests of one key admitted at the same instant
 * can each pass, so a limit can be exceeded by at most their holds.
 */

const DAY_MS = 86_400_000

/** The window a spend limit covers; `start` and `end` are null for `never`. */
export interface SpendPeriod {
  reset: SpendReset
  /** Inclusive, UTC midnight. */
  start: Date | null
  /** Exclusive, UTC midnight. */
  end: Date | null
}

/**
 * The period containing `now`: the UTC day, the ISO week (from Monday), the UTC month, or all time.
 * @example
 * spendPeriod('weekly', new Date('2025-01-01T12:00:00Z')) // { reset: 'weekly', start: 2024-12-30T00:00Z, end: 2025-01-06T00:00Z }
 */
export function spendPeriod(reset: SpendReset, now: Date): SpendPeriod {
  const year = now.getUTCFullYear()
  const month = now.getUTCMonth()
  const today = Date.UTC(year, month, now.getUTCDate())
  switch (reset) {
    case 'daily':
      return { reset, start: new Date(today), end: new Date(today + DAY_MS) }
    case 'weekly': {
      const monday = today - ((now.getUTCDay() + 6) % 7) * DAY_MS
      return { reset, start: new Date(monday), end: new Date(monday + 7 * DAY_MS) }
    }
    case 'monthly':
      return { reset, start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) }
    case 'never':
      return { reset, start: null, end: null }
  }
}

/**
 * The UTC date of an instant as `YYYY-MM-DD`, the key of `key_usage_daily`.
 * @example
 * utcDay(new Date('2025-03-01T23:59:59Z')) // '2025-03-01'
 */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10)
}

export interface KeySpend {
  period: SpendPeriod
  /** Micro-USD charged to the key in the period. */
  spent: bigint
  /** Micro-USD in the key's open holds: requests running now. */
  held: bigint
}

/**
 * What a key has spent in its current spend period, and what its running requests hold. One query.
 * @example
 * const spend = await keySpend(db, key)
 * if (!spendLimitAllows(key.spendLimit, spend, holdAmount)) throw new SpendLimitError()
 */
export async function keySpend(db: Database, key: Pick<ApiKey, 'id' | 'spendReset'>, now = new Date()): Promise<KeySpend> {
  const period = spendPeriod(key.spendReset, now)
  const inPeriod: SQL[] = [eq(keyUsageDaily.keyId, key.id)]
  if (period.start && period.end) inPeriod.push(gte(keyUsageDaily.day, utcDay(period.start)), lt(keyUsageDaily.day, utcDay(period.end)))
  const spent = db
    .select({ total: sql`coalesce(sum(${keyUsageDaily.spent}), 0)::bigint` })
    .from(keyUsageDaily)
    .where(and(...inPeriod))
  const held = db
    .select({ total: sql`coalesce(sum(${holds.amount}), 0)::bigint` })
    .from(holds)
    // A literal 'open', not a parameter, so that even a generic plan can use the partial index.
    .where(and(eq(holds.keyId, key.id), sql`${holds.status} = 'open'`))
  const [row] = await db
    .select({ spent: sql`(${spent})`.mapWith(BigInt), held: sql`(${held})`.mapWith(BigInt) })
    .from(apiKeys)
    .where(eq(apiKeys.id, key.id))
  return { period, spent: row?.spent ?? 0n, held: row?.held ?? 0n }
}

/**
 * Whether a request that may cost `amount` fits in the key's limit: spent + held + amount ≤ limit.
 * @example
 * spendLimitAllows(1_000_000n, { spent: 900_000n, held: 0n, period }, 200_000n) // false
 */
export function spendLimitAllows(limit: bigint | null, { spent, held }: KeySpend, amount: bigint): boolean {
  return limit === null || spent + held + amount <= limit
}
