import { and, eq, sql } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { accounts, chainCursors, leases, withdrawalRequests, type WithdrawalRequest } from '../schema/index.ts'

/** An escrow on a chain: the key of its cursor. */
export interface EscrowRef {
  chainId: number
  /** Any casing; stored lower-case. */
  escrow: string
}

/**
 * Creates the escrow's cursor at `fromBlock` unless it exists; an existing cursor is kept.
 * @example
 * await ensureCursor(db, { chainId, escrow, fromBlock: deploymentBlock })
 */
export async function ensureCursor(db: Database, { chainId, escrow, fromBlock }: EscrowRef & { fromBlock: bigint }): Promise<void> {
  await db.insert(chainCursors).values({ chainId, escrow: escrow.toLowerCase(), nextBlock: fromBlock }).onConflictDoNothing()
}

/**
 * The first block of the escrow the watcher has not applied; undefined without a cursor.
 * With `lock` (inside a transaction) the row stays locked until it ends, so that one
 * watcher at a time applies events and advances it.
 * @example
 * const from = await readCursor(tx, { chainId, escrow }, { lock: true })
 */
export async function readCursor(db: Database, { chainId, escrow }: EscrowRef, { lock = false }: { lock?: boolean } = {}): Promise<bigint | undefined> {
  const query = db
    .select({ nextBlock: chainCursors.nextBlock })
    .from(chainCursors)
    .where(and(eq(chainCursors.chainId, chainId), eq(chainCursors.escrow, escrow.toLowerCase())))
  const [row] = lock ? await query.for('update') : await query
  return row?.nextBlock
}

/**
 * Moves the cursor to `nextBlock`: every block before it has been applied.
 * @example
 * await advanceCursor(tx, { chainId, escrow, nextBlock: to + 1n })
 */
export async function advanceCursor(db: Database, { chainId, escrow, nextBlock }: EscrowRef & { nextBlock: bigint }): Promise<void> {
  await db
    .update(chainCursors)
    .set({ nextBlock, updatedAt: sql`now()` })
    .where(and(eq(chainCursors.chainId, chainId), eq(chainCursors.escrow, escrow.toLowerCase())))
}

/**
 * An account's balance, its row locked until the transaction ends (as an `UPDATE` would).
 * @example
 * const balance = await lockBalance(tx, accountId)
 */
export async function lockBalance(db: Database, accountId: string): Promise<bigint> {
  const [row] = await db.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, accountId)).for('update')
  if (!row) throw new Error(`no account ${accountId}`)
  return row.balance
}

/**
 * The account's pending withdrawal request, if the watcher has seen one.
 * @example
 * const request = await getWithdrawalRequest(tx, accountId)
 */
export async function getWithdrawalRequest(db: Database, accountId: string): Promise<WithdrawalRequest | undefined> {
  const [request] = await db.select().from(withdrawalRequests).where(eq(withdrawalRequests.accountId, accountId))
  return request
}

/**
 * Records the account's pending request, replacing an earlier one (as the escrow does).
 * @example
 * await putWithdrawalRequest(tx, { accountId, amount, reserved, maturesAt, ref })
 */
export async function putWithdrawalRequest(db: Database, request: Omit<WithdrawalRequest, 'createdAt'>): Promise<void> {
  const { accountId, ...rest } = request
  await db
    .insert(withdrawalRequests)
    .values(request)
    .onConflictDoUpdate({ target: withdrawalRequests.accountId, set: { ...rest, createdAt: sql`now()` } })
}

/**
 * Forgets the account's pending request (cancelled or withdrawn).
 * @example
 * await deleteWithdrawalRequest(tx, accountId)
 */
export async function deleteWithdrawalRequest(db: Database, accountId: string): Promise<void> {
  await db.delete(withdrawalRequests).where(eq(withdrawalRequests.accountId, accountId))
}

/**
 * Every pending withdrawal request with its account's address, soonest to mature first.
 * @example
 * const pending = await listWithdrawalRequests(db)
 */
export async function listWithdrawalRequests(db: Database): Promise<Array<WithdrawalRequest & { address: string }>> {
  const rows = await db
    .select({ request: withdrawalRequests, address: accounts.address })
    .from(withdrawalRequests)
    .innerJoin(accounts, eq(accounts.id, withdrawalRequests.accountId))
    .orderBy(withdrawalRequests.maturesAt)
  return rows.map(({ request, address }) => ({ ...request, address }))
}

export interface LeaseParameters {
  /** The job, e.g. `settlement`. */
  name: string
  /** Who asks: unique per running router. */
  holder: string
  /** How long the lease lasts unless renewed. */
  ttlMs: number
}

/**
 * Takes or renews the lease `name` for `holder`: true when it holds the lease for `ttlMs`
 * from now (database time), false while another holder's lease has not expired. One statement.
 * @example
 * if (await acquireLease(db, { name: 'settlement', holder, ttlMs: 60_000 })) await settle()
 */
export async function acquireLease(db: Database, { name, holder, ttlMs }: LeaseParameters): Promise<boolean> {
  const expiresAt = sql`now() + ${ttlMs}::integer * interval '1 millisecond'`
  const rows = await db
    .insert(leases)
    .values({ name, holder, expiresAt })
    .onConflictDoUpdate({ target: leases.name, set: { holder, expiresAt }, setWhere: sql`${leases.holder} = ${holder} OR ${leases.expiresAt} < now()` })
    .returning({ holder: leases.holder })
  return rows.length === 1
}

/**
 * Gives the lease up if `holder` has it, so that another router can take over at once.
 * @example
 * await releaseLease(db, { name: 'settlement', holder })
 */
export async function releaseLease(db: Database, { name, holder }: Omit<LeaseParameters, 'ttlMs'>): Promise<void> {
  await db.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder)))
}
