import { and, asc, eq, inArray, isNull, ne, notInArray, or, sql, TransactionRollbackError } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { accounts, generations, settlementBatches, withdrawalRequests, type NewSettlementBatch, type SettlementBatch } from '../schema/index.ts'

/** A charged generation no batch has taken, with what its Merkle leaf needs. */
export interface UnsettledGenerationRow {
  id: string
  accountId: string
  /** The account's lower-case wallet address. */
  account: string
  payout: string | null
  cost: bigint
  receipt: unknown
}

/**
 * Up to `limit` charged generations no batch has taken, oldest first (the partial index
 * `generations_unsettled_idx`), leaving out the accounts at `excluding` (lower-case addresses).
 * @example
 * const candidates = await listUnsettledGenerations(db, { limit: 5_000, excluding: ['0xabc…'] })
 */
export async function listUnsettledGenerations(db: Database, { limit, excluding = [] }: { limit: number; excluding?: string[] }): Promise<UnsettledGenerationRow[]> {
  return db
    .select({ id: generations.id, accountId: generations.accountId, account: accounts.address, payout: generations.payout, cost: generations.cost, receipt: generations.receipt })
    .from(generations)
    .innerJoin(accounts, eq(accounts.id, generations.accountId))
    .where(and(isNull(generations.settlementBatchId), sql`${generations.cost} > 0`, excluding.length ? notInArray(accounts.address, excluding) : undefined))
    .orderBy(asc(generations.createdAt), asc(generations.id))
    .limit(limit)
}

/** What waits for settlement. */
export interface UnsettledSummary {
  /** Micro-USD charged and not in any batch. */
  total: bigint
  /** When the oldest of those was charged; null when there is none. */
  oldest: Date | null
  /** Whether an account with a pending withdrawal request has any of them. */
  withdrawing: boolean
}

/**
 * Totals of what waits for settlement, to tell whether a batch is due. One query.
 * @example
 * const { total, oldest, withdrawing } = await unsettledSummary(db)
 */
export async function unsettledSummary(db: Database): Promise<UnsettledSummary> {
  const unsettled = and(isNull(generations.settlementBatchId), sql`${generations.cost} > 0`)
  const [row] = await db
    .select({
      total: sql`coalesce(sum(${generations.cost}), 0)::bigint`.mapWith(BigInt),
      oldest: sql<string | null>`min(${generations.createdAt})`,
      withdrawing: sql<boolean>`bool_or(${withdrawalRequests.accountId} IS NOT NULL)`,
    })
    .from(generations)
    .leftJoin(withdrawalRequests, eq(withdrawalRequests.accountId, generations.accountId))
    .where(unsettled)
  return { total: row?.total ?? 0n, oldest: row?.oldest ? new Date(row.oldest) : null, withdrawing: row?.withdrawing === true }
}

/**
 * Records a new batch and marks its generations with its id, in one transaction; refuses
 * (returns false, changing nothing) when another batch took any of them first.
 * @example
 * if (await insertBatch(db, batch, plan.generations.map((g) => g.id))) await submit(batch)
 */
export async function insertBatch(db: Database, batch: NewSettlementBatch, generationIds: string[]): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.insert(settlementBatches).values(batch)
    const marked = await tx
      .update(generations)
      .set({ settlementBatchId: batch.id })
      .where(and(inArray(generations.id, generationIds), isNull(generations.settlementBatchId)))
      .returning({ id: generations.id })
    if (marked.length === generationIds.length) return true
    tx.rollback()
    return false
  }).catch((error: unknown) => {
    // drizzle's rollback throws; a concurrent insert of the same id is the same outcome.
    if (error instanceof TransactionRollbackError || isUniqueViolation(error)) return false
    throw error
  })
}

/**
 * The batch on its way (pending or submitted), if any; there is at most one.
 * @example
 * const open = await openBatch(db, chainId)
 */
export async function openBatch(db: Database, chainId: number): Promise<SettlementBatch | undefined> {
  const [batch] = await db
    .select()
    .from(settlementBatches)
    .where(and(eq(settlementBatches.chainId, chainId), ne(settlementBatches.status, 'confirmed')))
  return batch
}

/**
 * A batch settled to another escrow than this one, if the ledger has any: batch ids are the
 * escrow's, so a ledger follows one escrow.
 * @example
 * const foreign = await batchOfAnotherEscrow(db, { chainId, escrow })
 */
export async function batchOfAnotherEscrow(db: Database, { chainId, escrow }: { chainId: number; escrow: string }): Promise<Pick<SettlementBatch, 'id' | 'chainId' | 'escrow'> | undefined> {
  const [batch] = await db
    .select({ id: settlementBatches.id, chainId: settlementBatches.chainId, escrow: settlementBatches.escrow })
    .from(settlementBatches)
    .where(or(ne(settlementBatches.chainId, chainId), ne(settlementBatches.escrow, escrow.toLowerCase())))
    .limit(1)
  return batch
}

/**
 * A batch by id.
 * @example
 * const batch = await getBatch(db, 7n)
 */
export async function getBatch(db: Database, id: bigint): Promise<SettlementBatch | undefined> {
  const [batch] = await db.select().from(settlementBatches).where(eq(settlementBatches.id, id))
  return batch
}

/**
 * Stores the signed transaction of a pending batch, before it is broadcast: from here on
 * only these bytes are sent. False when the batch is no longer pending (another settler signed it).
 * @example
 * if (await markSubmitted(db, batch.id, { nonce, txHash, rawTransaction })) await broadcast(rawTransaction)
 */
export async function markSubmitted(db: Database, id: bigint, sent: { nonce: number; txHash: string; rawTransaction: string }): Promise<boolean> {
  const rows = await db
    .update(settlementBatches)
    .set({ ...sent, status: 'submitted', submittedAt: sql`now()` })
    .where(and(eq(settlementBatches.id, id), eq(settlementBatches.status, 'pending')))
    .returning({ id: settlementBatches.id })
  return rows.length === 1
}

/**
 * Marks a submitted batch confirmed: its transaction succeeded in `blockNumber` and has enough confirmations.
 * @example
 * await markConfirmed(db, batch.id, receipt.blockNumber)
 */
export async function markConfirmed(db: Database, id: bigint, blockNumber: bigint): Promise<void> {
  await db
    .update(settlementBatches)
    .set({ status: 'confirmed', blockNumber, confirmedAt: sql`now()` })
    .where(and(eq(settlementBatches.id, id), eq(settlementBatches.status, 'submitted')))
}

/**
 * Drops a batch that can never land (the chain refused it before it was sent, or its
 * transaction reverted) and gives its generations back to the next batch, in one
 * transaction: only if the batch is still as seen (`status`, and `txHash` once submitted),
 * so a batch another router has since sent is never dropped. True when it was dropped.
 * @example
 * await discardBatch(db, { id: batch.id, status: 'submitted', txHash: batch.txHash })
 */
export async function discardBatch(db: Database, { id, status, txHash }: Pick<SettlementBatch, 'id' | 'status' | 'txHash'>): Promise<boolean> {
  if (status === 'confirmed') throw new Error(`batch ${id} is confirmed: it cannot be discarded`)
  return db.transaction(async (tx) => {
    const seen = and(eq(settlementBatches.id, id), eq(settlementBatches.status, status), txHash === null ? isNull(settlementBatches.txHash) : eq(settlementBatches.txHash, txHash))
    const [locked] = await tx.select({ id: settlementBatches.id }).from(settlementBatches).where(seen).for('update')
    if (!locked) return false
    await tx.update(generations).set({ settlementBatchId: null }).where(eq(generations.settlementBatchId, id))
    await tx.delete(settlementBatches).where(eq(settlementBatches.id, id))
    return true
  })
}

/** A generation of a batch, with what its Merkle leaf needs. */
export type BatchGenerationRow = Omit<UnsettledGenerationRow, 'accountId'>

/**
 * Every generation of a batch, to rebuild its tree.
 * @example
 * const rows = await batchGenerations(db, 7n)
 */
export async function batchGenerations(db: Database, id: bigint): Promise<BatchGenerationRow[]> {
  return db
    .select({ id: generations.id, account: accounts.address, payout: generations.payout, cost: generations.cost, receipt: generations.receipt })
    .from(generations)
    .innerJoin(accounts, eq(accounts.id, generations.accountId))
    .where(eq(generations.settlementBatchId, id))
}

/** A unique violation (SQLSTATE 23505), as postgres.js and PGlite raise it, possibly wrapped by drizzle. */
function isUniqueViolation(error: unknown): boolean {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } }
  return code === '23505' || cause?.code === '23505'
}
