import { eq, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { accounts, creditJournal, generations, holds, keyUsageDaily, type GenerationStatus, type Hold } from '../db/schema/index.ts'
import { utcDay } from './spend.ts'

// Each function here is ONE SQL statement: data-modifying CTEs that Postgres runs as one
// atomic unit, so a crash or a concurrent request never sees half of a balance change.

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
 * Takes `amount` from the account's balance and records the hold, if and only if the
 * balance covers it. One statement: the balance check is the `UPDATE`'s own `WHERE`, which
 * Postgres re-evaluates on the latest row version after waiting for a concurrent writer, so
 * concurrent holds can never take a balance below zero. An unknown account has no credits.
 * @example
 * const placed = await placeHold(db, { accountId, keyId, amount: 450n, deadline: new Date(Date.now() + 120_000) })
 * if (!placed.ok) throw new InsufficientCreditsError(placed.balance)
 */
export async function placeHold(db: Database, { accountId, keyId, amount, deadline }: PlaceHoldParameters): Promise<PlaceHoldReturnType> {
  if (amount < 0n) throw new RangeError(`hold amount must not be negative, got ${amount}`)
  const debited = db.$with('debited', { id: accounts.id, balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = balance - ${amount}::bigint
    WHERE id = ${accountId} AND balance >= ${amount}::bigint
    RETURNING id, balance`)
  const placed = db
    .$with('placed', { id: holds.id, accountId: holds.accountId, keyId: holds.keyId, amount: holds.amount, deadline: holds.deadline, createdAt: holds.createdAt })
    .as(sql`
    INSERT INTO ${holds} (account_id, key_id, amount, deadline)
    SELECT id, ${keyId}::uuid, ${amount}::bigint, ${deadline.toISOString()}::timestamptz FROM debited
    RETURNING id, account_id, key_id, amount, deadline, created_at`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id)
    SELECT account_id, 'hold', -amount, key_id, id FROM placed WHERE amount > 0
    RETURNING id`)
  // Read from the statement's snapshot, so on failure it is the balance the hold did not fit in.
  const current = db.$with('current', { balance: accounts.balance }).as(sql`SELECT balance FROM ${accounts} WHERE id = ${accountId}`)

  const [row] = await db
    .with(debited, placed, journaled, current)
    .select({
      hold: { id: placed.id, accountId: placed.accountId, keyId: placed.keyId, amount: placed.amount, deadline: placed.deadline, createdAt: placed.createdAt },
      after: debited.balance,
      before: current.balance,
    })
    .from(current)
    .leftJoin(debited, sql`true`)
    .leftJoin(placed, sql`true`)
  if (row?.hold && row.after !== null) return { ok: true, hold: row.hold, balance: row.after }
  return { ok: false, reason: 'insufficient_credits', balance: row?.before ?? 0n }
}

/** What a settled request produced, recorded as a `generations` row. */
export interface GenerationRecord {
  /** The id the client sees, e.g. `gen-…`. */
  id: string
  model: string
  providerPeerId: string
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
 * Settles an open hold: charges the actual cost (at most the hold), gives back the rest,
 * records the generation, the `release` and `charge` journal rows and the key's daily usage.
 * One statement, so one round trip; a hold already settled or reaped is left alone.
 * @example
 * await settleHold(db, { holdId: placed.hold.id, charge: requestCost(usage, pricing), generation })
 */
export async function settleHold(db: Database, { holdId, charge, generation, now = new Date() }: SettleHoldParameters): Promise<SettleHoldReturnType> {
  if (charge < 0n) throw new RangeError(`charge must not be negative, got ${charge}`)
  const at = now.toISOString()
  const closed = db
    .$with('closed', { id: holds.id, accountId: holds.accountId, keyId: holds.keyId, amount: holds.amount, charged: holds.charged, shortfall: holds.shortfall })
    .as(sql`
    UPDATE ${holds} SET status = 'settled', charged = LEAST(${charge}::bigint, amount),
      shortfall = GREATEST(${charge}::bigint - amount, 0), closed_at = ${at}::timestamptz
    WHERE id = ${holdId} AND status = 'open'
    RETURNING id, account_id, key_id, amount, charged, shortfall`)
  const credited = db.$with('credited', { balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + closed.amount - closed.charged
    FROM closed WHERE accounts.id = closed.account_id
    RETURNING accounts.balance`)
  const recorded = db.$with('recorded', { id: generations.id }).as(sql`
    INSERT INTO ${generations} (id, account_id, key_id, hold_id, model, provider_peer_id, prompt_tokens, completion_tokens,
      cost, time_to_first_token_ms, duration_ms, finish_reason, status, receipt, created_at)
    SELECT ${generation.id}, account_id, key_id, id, ${generation.model}, ${generation.providerPeerId},
      ${generation.promptTokens}::integer, ${generation.completionTokens}::integer, charged,
      ${generation.timeToFirstTokenMs}::integer, ${generation.durationMs}::integer, ${generation.finishReason}::text,
      ${generation.status}::generation_status, ${generation.receipt === undefined ? null : JSON.stringify(generation.receipt)}::jsonb,
      ${at}::timestamptz
    FROM closed
    RETURNING id`)
  // The whole hold comes back and the cost goes out, so a closed hold's rows sum to −charged.
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id, generation_id, created_at)
    SELECT account_id, 'release'::journal_kind, amount, key_id, id, ${generation.id}, ${at}::timestamptz FROM closed WHERE amount > 0
    UNION ALL
    SELECT account_id, 'charge'::journal_kind, -charged, key_id, id, ${generation.id}, ${at}::timestamptz FROM closed WHERE charged > 0
    RETURNING id`)
  const counted = db.$with('counted', { keyId: keyUsageDaily.keyId }).as(sql`
    INSERT INTO ${keyUsageDaily} AS usage (key_id, day, spent, requests, prompt_tokens, completion_tokens)
    SELECT key_id, ${utcDay(now)}::date, charged, 1, ${generation.promptTokens}::bigint, ${generation.completionTokens}::bigint FROM closed
    ON CONFLICT (key_id, day) DO UPDATE SET
      spent = usage.spent + excluded.spent,
      requests = usage.requests + 1,
      prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = usage.completion_tokens + excluded.completion_tokens
    RETURNING key_id`)

  const [row] = await db
    .with(closed, credited, recorded, journaled, counted)
    .select({ amount: closed.amount, charged: closed.charged, shortfall: closed.shortfall, balance: credited.balance })
    .from(closed)
    .innerJoin(credited, sql`true`)
  if (!row || row.charged === null) return { ok: false, reason: 'hold_not_open' }
  return { ok: true, charged: row.charged, released: row.amount - row.charged, shortfall: row.shortfall, balance: row.balance }
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
    RETURNING id, account_id, key_id, amount`)
  const credited = db.$with('credited', { balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + closed.amount
    FROM closed WHERE accounts.id = closed.account_id
    RETURNING accounts.balance`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id, created_at)
    SELECT account_id, 'release', amount, key_id, id, ${at}::timestamptz FROM closed WHERE amount > 0
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
    RETURNING id, account_id, key_id, amount`)
  // One UPDATE row per account: UPDATE … FROM applies only one of several matching rows.
  const credited = db.$with('credited', { id: accounts.id }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + released.amount
    FROM (SELECT account_id, sum(amount)::bigint AS amount FROM expired GROUP BY account_id) AS released
    WHERE accounts.id = released.account_id
    RETURNING accounts.id`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id, created_at)
    SELECT account_id, 'release', amount, key_id, id, ${at}::timestamptz FROM expired WHERE amount > 0
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
