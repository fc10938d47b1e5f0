import { randomUUID } from 'node:crypto'
import { eq, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { accounts, creditJournal, holds, type GenerationStatus, type Hold } from '../db/schema/index.ts'
import { utcDay } from './spend.ts'

// Each function here is ONE SQL statement: data-modifying CTEs that Postgres runs as one
// atomic unit, so a crash or a concurrent request never sees half of a balance change.
// Holds and settlements take a batch (see group-commit.ts): one statement for many requests.
// Those two, on every request's path, are PL/pgSQL functions (router/drizzle/0006_ledger_journal_through_holds.sql,
// which replaced 0005's) so that their plans are made once per session instead of once per request.
// A hold's journal rows name only the account and the hold: the key and the generation are reached
// through the hold (listJournal joins them in), which saves five foreign-key checks a request.

export interface PlaceHoldParameters {
  accountId: string
  keyId: string
  /** Micro-USD to set aside: the most the request can cost. Zero for a free model. */
  amount: bigint
  /** When the reaper may give the credits back if the request never settles. */
  deadline: Date
}

export type PlacedHold = Pick<Hold, 'id' | 'accountId' | 'keyId' | 'amount' | 'deadline' | 'createdAt'>

export type PlaceHoldReturnType =
  | { ok: true; hold: PlacedHold; /** Balance after the hold. */ balance: bigint }
  | { ok: false; reason: 'insufficient_credits'; /** Balance the request could not fit in. */ balance: bigint }

/**
 * Takes each request's `amount` from its account's balance and records the holds, if and
 * only if the balance covers them. One statement for the whole batch: per account, the
 * batch's total is taken in one `UPDATE … WHERE balance >= total`, which Postgres
 * re-evaluates on the latest row version after waiting for a concurrent writer, so
 * concurrent holds can never take a balance below zero. When an account's total does not
 * fit, its requests are tried again one by one, so each gets exactly the answer it would
 * have got alone. An unknown account has no credits.
 * @example
 * const [a, b] = await placeHolds(db, [{ accountId, keyId, amount: 450n, deadline }, { accountId, keyId, amount: 90n, deadline }])
 */
export async function placeHolds(db: Database, requests: PlaceHoldParameters[]): Promise<PlaceHoldReturnType[]> {
  for (const { amount } of requests) if (amount < 0n) throw new RangeError(`hold amount must not be negative, got ${amount}`)
  if (!requests.length) return []
  const ids = requests.map(() => randomUUID())
  const input = JSON.stringify(
    requests.map(({ accountId, keyId, amount, deadline }, i) => ({ id: ids[i], account_id: accountId, key_id: keyId, amount: amount.toString(), deadline: deadline.toISOString() })),
  )
  // One statement: ledger_place_holds in router/drizzle/0006_ledger_journal_through_holds.sql (documented above).
  const rows = await rowsOf<{ request: string; id: string | null; account_id: string; key_id: string; amount: string; deadline: string; created_at: string; after: string | null; before: string | null }>(
    db,
    sql`SELECT request::text, id::text, account_id::text, key_id::text, amount::text, ${epochMs('deadline')}, ${epochMs('created_at')},
      balance_after::text AS after, balance_before::text AS before
    FROM ledger_place_holds(${input}::jsonb)`,
  )
  const byId = new Map(rows.map((row) => [row.request, row]))

  const results: PlaceHoldReturnType[] = []
  for (const [i, request] of requests.entries()) {
    const row = byId.get(ids[i]!)
    if (row?.id && row.after !== null) {
      const hold = { id: row.id, accountId: row.account_id, keyId: row.key_id, amount: BigInt(row.amount), deadline: new Date(Number(row.deadline)), createdAt: new Date(Number(row.created_at)) }
      results.push({ ok: true, hold, balance: BigInt(row.after) })
    } else if (requests.length === 1) results.push({ ok: false, reason: 'insufficient_credits', balance: row?.before ? BigInt(row.before) : 0n })
    // The account's total did not fit; this request alone may.
    else results.push((await placeHolds(db, [request]))[0]!)
  }
  return results
}

/**
 * One hold: {@link placeHolds} for a single request.
 * @example
 * const placed = await placeHold(db, { accountId, keyId, amount: 450n, deadline: new Date(Date.now() + 120_000) })
 * if (!placed.ok) throw new InsufficientCreditsError(placed.balance)
 */
export async function placeHold(db: Database, request: PlaceHoldParameters): Promise<PlaceHoldReturnType> {
  return (await placeHolds(db, [request]))[0]!
}

/** What a settled request produced, recorded as a `generations` row. */
export interface GenerationRecord {
  /** The id the client sees, e.g. `gen-…`. */
  id: string
  model: string
  providerPeerId: string
  /** The payout address of the offer it was served under, which settlement credits. */
  payout?: string
  promptTokens: number
  completionTokens: number
  timeToFirstTokenMs: number | null
  durationMs: number
  finishReason: string | null
  status: GenerationStatus
  /** The provider's signed receipt, when there is one. */
  receipt?: unknown
}

export interface SettleHoldParameters {
  holdId: string
  /** The request's actual cost in micro-USD, from `requestCost`; clamped to the hold amount. */
  charge: bigint
  generation: GenerationRecord
  now?: Date
}

export type SettleHoldReturnType =
  | {
      ok: true
      /** Micro-USD charged: `min(charge, hold amount)`. */
      charged: bigint
      /** Micro-USD given back: `hold amount − charged`. */
      released: bigint
      /** Micro-USD of cost above the hold that was not charged: `max(charge − hold amount, 0)`. */
      shortfall: bigint
      /** Balance after settling. */
      balance: bigint
    }
  | { ok: false; reason: 'hold_not_open' }

/**
 * Settles open holds: for each, charges the actual cost (at most the hold), gives back the
 * rest, records the generation, the `release` and `charge` journal rows and the key's daily
 * usage. One statement for the whole batch, so one round trip and one lock per account; a
 * hold already settled or reaped is left alone (`hold_not_open`).
 * @example
 * const [settled] = await settleHolds(db, [{ holdId: placed.hold.id, charge: requestCost(usage, pricing), generation }])
 */
export async function settleHolds(db: Database, requests: SettleHoldParameters[]): Promise<SettleHoldReturnType[]> {
  for (const { charge } of requests) if (charge < 0n) throw new RangeError(`charge must not be negative, got ${charge}`)
  if (!requests.length) return []
  const now = requests[0]!.now ?? new Date()
  const at = now.toISOString()
  const input = JSON.stringify(
    requests.map(({ holdId, charge, generation: g }) => ({
      hold_id: holdId,
      charge: charge.toString(),
      generation_id: g.id,
      model: g.model,
      provider_peer_id: g.providerPeerId,
      payout: g.payout?.toLowerCase() ?? null,
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      time_to_first_token_ms: g.timeToFirstTokenMs,
      duration_ms: g.durationMs,
      finish_reason: g.finishReason,
      status: g.status,
      receipt: g.receipt ?? null,
    })),
  )
  // One statement: ledger_settle_holds in router/drizzle/0006_ledger_journal_through_holds.sql (documented above).
  const rows = await rowsOf<{ hold_id: string; amount: string | null; charged: string | null; shortfall: string | null; balance: string | null }>(
    db,
    sql`SELECT hold_id::text, amount::text, charged::text, shortfall::text, balance::text
    FROM ledger_settle_holds(${input}::jsonb, ${at}::timestamptz, ${utcDay(now)}::date)`,
  )
  const byHold = new Map(rows.map((row) => [row.hold_id, row]))
  return requests.map(({ holdId }): SettleHoldReturnType => {
    const row = byHold.get(holdId)
    if (!row || row.amount === null || row.charged === null || row.shortfall === null || row.balance === null) return { ok: false, reason: 'hold_not_open' }
    const [amount, charged] = [BigInt(row.amount), BigInt(row.charged)]
    return { ok: true, charged, released: amount - charged, shortfall: BigInt(row.shortfall), balance: BigInt(row.balance) }
  })
}

/**
 * One settlement: {@link settleHolds} for a single hold.
 * @example
 * await settleHold(db, { holdId: placed.hold.id, charge: requestCost(usage, pricing), generation })
 */
export async function settleHold(db: Database, request: SettleHoldParameters): Promise<SettleHoldReturnType> {
  return (await settleHolds(db, [request]))[0]!
}

/** Rows of a raw statement: postgres.js returns them as an array, PGlite under `rows`. */
async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] }
  return Array.isArray(result) ? result : result.rows
}

/** A timestamptz column as epoch milliseconds in text, which both drivers return alike. */
function epochMs(column: 'deadline' | 'created_at'): SQL {
  return sql.raw(`floor(extract(epoch FROM ${column}) * 1000)::bigint::text AS ${column}`)
}

export interface ReleaseHoldParameters {
  holdId: string
  now?: Date
}

export type ReleaseHoldReturnType = { ok: true; released: bigint; balance: bigint } | { ok: false; reason: 'hold_not_open' }

/**
 * Gives a whole open hold back, for a request that never reached a provider. One statement.
 * @example
 * await releaseHold(db, { holdId: placed.hold.id })
 */
export async function releaseHold(db: Database, { holdId, now = new Date() }: ReleaseHoldParameters): Promise<ReleaseHoldReturnType> {
  const at = now.toISOString()
  const closed = db.$with('closed', { id: holds.id, amount: holds.amount }).as(sql`
    UPDATE ${holds} SET status = 'released', closed_at = ${at}::timestamptz
    WHERE id = ${holdId} AND status = 'open'
    RETURNING id, account_id, amount`)
  const credited = db.$with('credited', { balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + closed.amount
    FROM closed WHERE accounts.id = closed.account_id
    RETURNING accounts.balance`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, hold_id, created_at)
    SELECT account_id, 'release', amount, id, ${at}::timestamptz FROM closed WHERE amount > 0
    RETURNING id`)

  const [row] = await db.with(closed, credited, journaled).select({ amount: closed.amount, balance: credited.balance }).from(closed).innerJoin(credited, sql`true`)
  return row ? { ok: true, released: row.amount, balance: row.balance } : { ok: false, reason: 'hold_not_open' }
}

export interface ReleaseExpiredHoldsParameters {
  /** Holds whose deadline is at or before this instant are released. */
  now?: Date
  /** The most holds one call releases, to keep the statement short; call again while it returns that many. */
  limit?: number
}

export type ReleasedHold = Pick<Hold, 'id' | 'accountId' | 'amount'>

/**
 * The reaper: gives back every open hold past its deadline (a router that died mid-request,
 * a settle that never came). One statement; holds a concurrent settle has locked are skipped,
 * and a hold is closed by exactly one of settle, release or reaper.
 * @example
 * setInterval(() => releaseExpiredHolds(db, { now: new Date() }), 30_000)
 */
export async function releaseExpiredHolds(db: Database, { now = new Date(), limit = 1000 }: ReleaseExpiredHoldsParameters = {}): Promise<ReleasedHold[]> {
  const at = now.toISOString()
  const expired = db.$with('expired', { id: holds.id, accountId: holds.accountId, amount: holds.amount }).as(sql`
    UPDATE ${holds} SET status = 'released', closed_at = ${at}::timestamptz
    WHERE status = 'open' AND id IN (
      SELECT id FROM ${holds} WHERE status = 'open' AND deadline <= ${at}::timestamptz
      ORDER BY deadline LIMIT ${limit}::integer FOR UPDATE SKIP LOCKED)
    RETURNING id, account_id, amount`)
  // One UPDATE row per account: UPDATE … FROM applies only one of several matching rows.
  const credited = db.$with('credited', { id: accounts.id }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + released.amount
    FROM (SELECT account_id, sum(amount)::bigint AS amount FROM expired GROUP BY account_id) AS released
    WHERE accounts.id = released.account_id
    RETURNING accounts.id`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, hold_id, created_at)
    SELECT account_id, 'release', amount, id, ${at}::timestamptz FROM expired WHERE amount > 0
    RETURNING id`)

  return db.with(expired, credited, journaled).select({ id: expired.id, accountId: expired.accountId, amount: expired.amount }).from(expired)
}

/**
 * A hold by id, for tests and support tools.
 * @example
 * const hold = await getHold(db, holdId)
 */
export async function getHold(db: Database, holdId: string): Promise<Hold | undefined> {
  const [hold] = await db.select().from(holds).where(eq(holds.id, holdId))
  return hold
}
