import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { accounts, creditJournal, generations, holds, keyUsageDaily, type GenerationStatus, type Hold } from '../db/schema/index.ts'
import { utcDay } from './spend.ts'

// Each function here is ONE SQL statement: data-modifying CTEs that Postgres runs as one
// atomic unit, so a crash or a concurrent request never sees half of a balance change.
// Holds and settlements take a batch (see group-commit.ts): one statement for many requests.

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
  const requested = db.$with('requested', { id: holds.id, accountId: holds.accountId }).as(sql`
    SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS t(id uuid, account_id uuid, key_id uuid, amount bigint, deadline timestamptz)`)
  const debited = db.$with('debited', { id: accounts.id, balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance - totals.amount
    FROM (SELECT account_id, sum(amount)::bigint AS amount FROM requested GROUP BY account_id) AS totals
    WHERE accounts.id = totals.account_id AND accounts.balance >= totals.amount
    RETURNING accounts.id, accounts.balance`)
  const placed = db
    .$with('placed', { id: holds.id, accountId: holds.accountId, keyId: holds.keyId, amount: holds.amount, deadline: holds.deadline, createdAt: holds.createdAt })
    .as(sql`
    INSERT INTO ${holds} (id, account_id, key_id, amount, deadline)
    SELECT requested.id, requested.account_id, requested.key_id, requested.amount, requested.deadline
    FROM requested JOIN debited ON debited.id = requested.account_id
    RETURNING id, account_id, key_id, amount, deadline, created_at`)
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id)
    SELECT account_id, 'hold', -amount, key_id, id FROM placed WHERE amount > 0
    RETURNING id`)
  // Read from the statement's snapshot, so on failure it is the balance the holds did not fit in.
  const current = db.$with('current', { id: accounts.id, balance: accounts.balance }).as(sql`
    SELECT id, balance FROM ${accounts} WHERE id IN (SELECT account_id FROM requested)`)

  const rows = await db
    .with(requested, debited, placed, journaled, current)
    .select({
      request: requested.id,
      hold: { id: placed.id, accountId: placed.accountId, keyId: placed.keyId, amount: placed.amount, deadline: placed.deadline, createdAt: placed.createdAt },
      after: debited.balance,
      before: current.balance,
    })
    .from(requested)
    .leftJoin(placed, sql`${placed.id} = ${requested.id}`)
    .leftJoin(debited, sql`${debited.id} = ${requested.accountId}`)
    .leftJoin(current, sql`${current.id} = ${requested.accountId}`)
  const byId = new Map(rows.map((row) => [row.request, row]))

  const results: PlaceHoldReturnType[] = []
  for (const [i, request] of requests.entries()) {
    const row = byId.get(ids[i]!)
    if (row?.hold && row.after !== null) results.push({ ok: true, hold: row.hold, balance: row.after })
    else if (requests.length === 1) results.push({ ok: false, reason: 'insufficient_credits', balance: row?.before ?? 0n })
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
  const requested = db.$with('requested', { holdId: generations.holdId }).as(sql`
    SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS t(hold_id uuid, charge bigint, generation_id text, model text,
      provider_peer_id text, payout text, prompt_tokens integer, completion_tokens integer, time_to_first_token_ms integer,
      duration_ms integer, finish_reason text, status generation_status, receipt jsonb)`)
  const closed = db
    .$with('closed', { id: holds.id, accountId: holds.accountId, keyId: holds.keyId, amount: holds.amount, charged: holds.charged, shortfall: holds.shortfall })
    .as(sql`
    UPDATE ${holds} SET status = 'settled', charged = LEAST(requested.charge, holds.amount),
      shortfall = GREATEST(requested.charge - holds.amount, 0), closed_at = ${at}::timestamptz
    FROM requested WHERE holds.id = requested.hold_id AND holds.status = 'open'
    RETURNING holds.id, holds.account_id, holds.key_id, holds.amount, holds.charged, holds.shortfall`)
  // One UPDATE row per account: UPDATE … FROM applies only one of several matching rows.
  const credited = db.$with('credited', { id: accounts.id, balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + back.amount
    FROM (SELECT account_id, sum(amount - charged)::bigint AS amount FROM closed GROUP BY account_id) AS back
    WHERE accounts.id = back.account_id
    RETURNING accounts.id, accounts.balance`)
  const recorded = db.$with('recorded', { id: generations.id }).as(sql`
    INSERT INTO ${generations} (id, account_id, key_id, hold_id, model, provider_peer_id, payout, prompt_tokens, completion_tokens,
      cost, time_to_first_token_ms, duration_ms, finish_reason, status, receipt, created_at)
    SELECT r.generation_id, c.account_id, c.key_id, c.id, r.model, r.provider_peer_id, r.payout, r.prompt_tokens, r.completion_tokens,
      c.charged, r.time_to_first_token_ms, r.duration_ms, r.finish_reason, r.status, r.receipt, ${at}::timestamptz
    FROM closed c JOIN requested r ON r.hold_id = c.id
    RETURNING id`)
  // The whole hold comes back and the cost goes out, so a closed hold's rows sum to −charged.
  const journaled = db.$with('journaled', { id: creditJournal.id }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, key_id, hold_id, generation_id, created_at)
    SELECT c.account_id, 'release'::journal_kind, c.amount, c.key_id, c.id, r.generation_id, ${at}::timestamptz
    FROM closed c JOIN requested r ON r.hold_id = c.id WHERE c.amount > 0
    UNION ALL
    SELECT c.account_id, 'charge'::journal_kind, -c.charged, c.key_id, c.id, r.generation_id, ${at}::timestamptz
    FROM closed c JOIN requested r ON r.hold_id = c.id WHERE c.charged > 0
    RETURNING id`)
  // One row per key, for the same reason as `credited` (ON CONFLICT cannot touch a row twice).
  const counted = db.$with('counted', { keyId: keyUsageDaily.keyId }).as(sql`
    INSERT INTO ${keyUsageDaily} AS usage (key_id, day, spent, requests, prompt_tokens, completion_tokens)
    SELECT c.key_id, ${utcDay(now)}::date, sum(c.charged)::bigint, count(*)::integer, sum(r.prompt_tokens)::bigint, sum(r.completion_tokens)::bigint
    FROM closed c JOIN requested r ON r.hold_id = c.id GROUP BY c.key_id
    ON CONFLICT (key_id, day) DO UPDATE SET
      spent = usage.spent + excluded.spent,
      requests = usage.requests + excluded.requests,
      prompt_tokens = usage.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = usage.completion_tokens + excluded.completion_tokens
    RETURNING key_id`)

  const rows = await db
    .with(requested, closed, credited, recorded, journaled, counted)
    .select({ holdId: requested.holdId, amount: closed.amount, charged: closed.charged, shortfall: closed.shortfall, balance: credited.balance })
    .from(requested)
    .leftJoin(closed, sql`${closed.id} = ${requested.holdId}`)
    .leftJoin(credited, sql`${credited.id} = ${closed.accountId}`)
  const byHold = new Map(rows.map((row) => [row.holdId, row]))
  return requests.map(({ holdId }): SettleHoldReturnType => {
    const row = byHold.get(holdId)
    if (!row || row.amount === null || row.charged === null || row.shortfall === null || row.balance === null) return { ok: false, reason: 'hold_not_open' }
    return { ok: true, charged: row.charged, released: row.amount - row.charged, shortfall: row.shortfall, balance: row.balance }
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
