import { sql } from 'drizzle-orm'
import { bigint, check, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

/**
 * Where a batch is: `pending` (built and persisted, its generations marked, nothing sent),
 * `submitted` (the signed `settle` transaction is stored and broadcast), `confirmed` (the
 * transaction succeeded and has the configured number of confirmations).
 */
export const settlementStatus = pgEnum('settlement_status', ['pending', 'submitted', 'confirmed'])
export type SettlementStatus = (typeof settlementStatus.enumValues)[number]

/** One user's spend in a batch, as the `settle` call carries it: micro-USD as a decimal string. */
export interface StoredDebit {
  account: string
  amount: string
}

/** One payout address's earnings in a batch, as the `settle` call carries it. */
export interface StoredCredit {
  payout: string
  amount: string
}

/**
 * One on-chain settlement batch: the exact arguments of `CreditEscrow.settle` (persisted
 * before anything is sent, so a resend is identical) and how far it got. The escrow's batch
 * ids are sequential, so `id` is the id the chain gave, or will give, the batch.
 */
export const settlementBatches = pgTable(
  'settlement_batches',
  {
    /** The escrow's batch id (`nextBatchId` when the batch was built). */
    id: bigint('id', { mode: 'bigint' }).primaryKey(),
    chainId: integer('chain_id').notNull(),
    /** Lower-case address of the escrow. */
    escrow: text('escrow').notNull(),
    status: settlementStatus('status').notNull().default('pending'),
    /** 0x-hex Merkle root over the batch's generations (see router/src/chain/merkle.ts). */
    receiptsRoot: text('receipts_root').notNull(),
    /** Micro-USD taken from users' balances: the sum of `debits`. */
    debited: bigint('debited', { mode: 'bigint' }).notNull(),
    /** Micro-USD added to providers' earnings: the sum of `credits`. */
    credited: bigint('credited', { mode: 'bigint' }).notNull(),
    /** Micro-USD of operator fee credited to the treasury. */
    fee: bigint('fee', { mode: 'bigint' }).notNull(),
    feeBps: integer('fee_bps').notNull(),
    debits: jsonb('debits').$type<StoredDebit[]>().notNull(),
    credits: jsonb('credits').$type<StoredCredit[]>().notNull(),
    /** The escrow's treasury when the batch was built: it earns the fee and the usage of generations without a known payout. */
    treasury: text('treasury').notNull(),
    generationCount: integer('generation_count').notNull(),
    /** The operator's transaction: its nonce, hash and the signed bytes that are re-broadcast until it lands. */
    nonce: integer('nonce'),
    txHash: text('tx_hash'),
    rawTransaction: text('raw_transaction'),
    /** The block the transaction landed in, once confirmed. */
    blockNumber: bigint('block_number', { mode: 'bigint' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  },
  (t) => [
    // At most one batch is on its way at a time: each is built on the chain's `nextBatchId`.
    uniqueIndex('settlement_batches_one_open_idx').on(t.chainId).where(sql`${t.status} <> 'confirmed'`),
    check('settlement_batches_balanced', sql`${t.debited} = ${t.credited} + ${t.fee}`),
    check('settlement_batches_amounts_non_negative', sql`${t.credited} >= 0 AND ${t.fee} >= 0`),
    check('settlement_batches_id_positive', sql`${t.id} > 0`),
    check('settlement_batches_fee_bps', sql`${t.feeBps} BETWEEN 0 AND 10000`),
    check('settlement_batches_sent', sql`(${t.status} = 'pending') = (${t.txHash} IS NULL)`),
    check('settlement_batches_landed', sql`(${t.status} = 'confirmed') = (${t.blockNumber} IS NOT NULL)`),
  ],
)

export type SettlementBatch = typeof settlementBatches.$inferSelect
export type NewSettlementBatch = typeof settlementBatches.$inferInsert
