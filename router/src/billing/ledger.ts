import { eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { accounts, creditJournal, type JournalKind } from '../db/schema/index.ts'

export interface DepositParameters {
  accountId: string
  /** Micro-USD credited, positive. */
  amount: bigint
  /** Unique reference of the deposit, `<tx hash>:<log index>` for an on-chain one. */
  ref: string
  note?: string
}

export type DepositReturnType = { applied: true; balance: bigint } | { applied: false; reason: 'duplicate_ref' }

/**
 * Credits a deposit: a `deposit` journal row and the balance, in one statement. A second
 * deposit with the same `ref` changes nothing, so a chain watcher may replay events freely.
 * @example
 * await deposit(db, { accountId, amount: 5_000_000n, ref: `${log.transactionHash}:${log.logIndex}` })
 */
export async function deposit(db: Database, { accountId, amount, ref, note }: DepositParameters): Promise<DepositReturnType> {
  if (amount <= 0n) throw new RangeError(`deposit amount must be positive, got ${amount}`)
  const result = await credit(db, { accountId, kind: 'deposit', amount, ref, note: note ?? null })
  return result.ok ? { applied: true, balance: result.balance } : { applied: false, reason: 'duplicate_ref' }
}

export interface AdjustParameters {
  accountId: string
  /** Signed micro-USD, not zero. */
  amount: bigint
  /** Why, for whoever reads the journal. */
  note: string
  /** Makes the adjustment idempotent when given. */
  ref?: string
}

export type AdjustReturnType = { ok: true; balance: bigint } | { ok: false; reason: 'insufficient_credits' | 'duplicate_ref' }

/**
 * An operator's correction to a balance, as an `adjustment` journal row. One statement; a
 * debit larger than the balance is refused (then one more query tells a replayed `ref`).
 * @example
 * await adjust(db, { accountId, amount: -250_000n, note: 'chargeback on deposit 0xabc…:3' })
 */
export async function adjust(db: Database, { accountId, amount, note, ref }: AdjustParameters): Promise<AdjustReturnType> {
  if (amount === 0n) throw new RangeError('adjustment amount must not be zero')
  return credit(db, { accountId, kind: 'adjustment', amount, ref: ref ?? null, note })
}

interface CreditParameters {
  accountId: string
  kind: 'deposit' | 'adjustment'
  amount: bigint
  ref: string | null
  note: string | null
}

/** Adds a signed amount to a balance with its journal row, unless it would go below zero or `ref` is taken. */
async function credit(db: Database, { accountId, kind, amount, ref, note }: CreditParameters): Promise<AdjustReturnType> {
  // FOR UPDATE waits for concurrent writers and reads the latest balance, as an UPDATE's
  // WHERE would; the journal row goes in first so that a duplicate ref stops the balance change.
  const locked = db.$with('locked', { id: accounts.id, sufficient: sql<boolean>`sufficient`.mapWith(Boolean).as('sufficient') }).as(sql`
    SELECT id, balance + ${amount}::bigint >= 0 AS sufficient FROM ${accounts} WHERE id = ${accountId} FOR UPDATE`)
  const entry = db.$with('entry', { accountId: creditJournal.accountId, amount: creditJournal.amount }).as(sql`
    INSERT INTO ${creditJournal} (account_id, kind, amount, ref, note)
    SELECT id, ${kind}::journal_kind, ${amount}::bigint, ${ref}::text, ${note}::text FROM locked WHERE sufficient
    ON CONFLICT (ref) DO NOTHING
    RETURNING account_id, amount`)
  const credited = db.$with('credited', { balance: accounts.balance }).as(sql`
    UPDATE ${accounts} SET balance = accounts.balance + entry.amount
    FROM entry WHERE accounts.id = entry.account_id
    RETURNING accounts.balance`)

  const [row] = await db.with(locked, entry, credited).select({ sufficient: locked.sufficient, balance: credited.balance }).from(locked).leftJoin(credited, sql`true`)
  if (!row) throw new Error(`no account ${accountId}`)
  if (row.balance !== null) return { ok: true, balance: row.balance }
  // Sufficient but not applied: the insert met the ref. Insufficient: the ref may still be a
  // replay (of a debit already applied), which a fresh snapshot tells; refs are never deleted.
  if (row.sufficient || (ref !== null && (await refExists(db, ref)))) return { ok: false, reason: 'duplicate_ref' }
  return { ok: false, reason: 'insufficient_credits' }
}

async function refExists(db: Database, ref: string): Promise<boolean> {
  const [entry] = await db.select({ id: creditJournal.id }).from(creditJournal).where(eq(creditJournal.ref, ref))
  return entry !== undefined
}

/**
 * An account's balance recomputed from its journal; equals `accounts.balance` at all times.
 * @example
 * expect(await recomputeBalance(db, accountId)).toBe((await getAccount(db, accountId))!.balance)
 */
export async function recomputeBalance(db: Database, accountId: string): Promise<bigint> {
  const [row] = await db
    .select({ total: sql`coalesce(sum(${creditJournal.amount}), 0)::bigint`.mapWith(BigInt) })
    .from(creditJournal)
    .where(eq(creditJournal.accountId, accountId))
  return row?.total ?? 0n
}

/** An account's credits, all in micro-USD: `balance = deposited − used + adjusted − held`. */
export interface CreditsSummary {
  deposited: bigint
  /** Charges less refunds. */
  used: bigint
  adjusted: bigint
  /** In open holds: requests running now. */
  held: bigint
  balance: bigint
}

/**
 * Totals of an account's journal by kind, with its balance. One query.
 * @example
 * const { deposited, used, balance } = await creditsSummary(db, accountId)
 */
export async function creditsSummary(db: Database, accountId: string): Promise<CreditsSummary | undefined> {
  const total = (...kinds: JournalKind[]) =>
    sql`coalesce(sum(${creditJournal.amount}) FILTER (WHERE ${inArray(creditJournal.kind, kinds)}), 0)::bigint`.mapWith(BigInt)
  const [row] = await db
    .select({
      balance: accounts.balance,
      deposited: total('deposit'),
      usedNegated: total('charge', 'refund'),
      adjusted: total('adjustment'),
      heldNegated: total('hold', 'release'),
    })
    .from(accounts)
    .leftJoin(creditJournal, eq(creditJournal.accountId, accounts.id))
    .where(eq(accounts.id, accountId))
    .groupBy(accounts.id)
  if (!row) return undefined
  return { deposited: row.deposited, used: -row.usedNegated, adjusted: row.adjusted, held: -row.heldNegated, balance: row.balance }
}
