import { Hono, type Context } from 'hono'
import { LRUCache } from 'lru-cache'
import type { Address } from 'viem'
import { z } from 'zod'
import { InternalError, InvalidRequestError, MarketError } from '@agora/protocol'
import { LEAF_ENCODING, SettlementTree, settlementLeaf } from '../../../chain/merkle.ts'
import type { Database } from '../../../db/index.ts'
import { getGeneration } from '../../../db/queries/generations.ts'
import { batchGenerations, getBatch } from '../../../db/queries/settlements.ts'
import type { SettlementBatch } from '../../../db/schema/index.ts'

/** 404 for a batch id the router has no record of. */
class SettlementNotFoundError extends MarketError {
  override name = 'SettlementNotFoundError'
  constructor(id: bigint) {
    super(404, 'invalid_request_error', 'settlement_not_found', `No settlement batch ${id}`, { param: 'batchId' })
  }
}

/** 404 for a generation that is not the caller's or not in the batch. */
class GenerationNotInBatchError extends MarketError {
  override name = 'GenerationNotInBatchError'
  constructor(generationId: string, batchId: bigint) {
    super(404, 'invalid_request_error', 'generation_not_in_batch', `No generation \`${generationId}\` of this account in settlement batch ${batchId}`, { param: 'generation' })
  }
}

/** A batch id in a path: the escrow's ids start at 1. */
const BatchId = z
  .string()
  .regex(/^[1-9]\d{0,18}$/, 'must be a positive integer')
  .transform((value) => BigInt(value))

function batchIdParam(value: string): bigint {
  const parsed = BatchId.safeParse(value)
  if (!parsed.success) throw new InvalidRequestError(`The batch id must be a positive integer, got \`${value}\``, { param: 'batchId' })
  return parsed.data
}

function batchView(batch: SettlementBatch) {
  return {
    id: batch.id.toString(),
    status: batch.status,
    chain_id: batch.chainId,
    escrow: batch.escrow,
    receipts_root: batch.receiptsRoot,
    debited_micro_usd: batch.debited.toString(),
    credited_micro_usd: batch.credited.toString(),
    fee_micro_usd: batch.fee.toString(),
    fee_bps: batch.feeBps,
    treasury: batch.treasury,
    generations: batch.generationCount,
    debits: batch.debits.map(({ account, amount }) => ({ account, amount_micro_usd: amount })),
    credits: batch.credits.map(({ payout, amount }) => ({ payout, amount_micro_usd: amount })),
    tx_hash: batch.txHash,
    block_number: batch.blockNumber?.toString() ?? null,
    created_at: batch.createdAt.toISOString(),
    submitted_at: batch.submittedAt?.toISOString() ?? null,
    confirmed_at: batch.confirmedAt?.toISOString() ?? null,
  }
}

/**
 * What a key can check of the on-chain settlement of its usage:
 * `GET /v1/settlements/{batchId}` (the batch: root, totals, transfers, transaction, status)
 * and `GET /v1/settlements/{batchId}/proof?generation=` (one of its own generations: the
 * leaf, the receipt it commits to and the Merkle proof to the batch's root). `accountOf`
 * names the caller's account: the key's under `/v1`, the path's under
 * `/api/accounts/{address}` (for the console).
 */
export function settlementRoutes({ db, accountOf = (c) => c.var.apiKey.accountId }: { db: Database; accountOf?: (c: Context) => string }): Hono {
  // A batch's generations never change once it is built; a rebuilt batch of the same id has another root.
  const trees = new LRUCache<string, SettlementTree>({ max: 32 })
  const treeOf = async (batch: SettlementBatch): Promise<SettlementTree> => {
    const key = `${batch.id}:${batch.receiptsRoot}`
    const cached = trees.get(key)
    if (cached) return cached
    const rows = await batchGenerations(db, batch.id)
    const tree = new SettlementTree(rows.map((row) => settlementLeaf(row, batch.treasury as Address)))
    if (tree.root !== batch.receiptsRoot) throw new InternalError(new Error(`the generations of batch ${batch.id} make root ${tree.root}, not ${batch.receiptsRoot}`))
    trees.set(key, tree)
    return tree
  }

  return new Hono()
    .get('/settlements/:batchId', async (c) => {
      const id = batchIdParam(c.req.param('batchId'))
      const batch = await getBatch(db, id)
      if (!batch) throw new SettlementNotFoundError(id)
      return c.json({ data: batchView(batch) })
    })
    .get('/settlements/:batchId/proof', async (c) => {
      const id = batchIdParam(c.req.param('batchId'))
      const generationId = c.req.query('generation')
      if (!generationId) throw new InvalidRequestError('Query parameter `generation` is required', { param: 'generation' })
      const batch = await getBatch(db, id)
      if (!batch) throw new SettlementNotFoundError(id)
      const generation = await getGeneration(db, { id: generationId, accountId: accountOf(c) })
      if (generation?.settlementBatchId !== id) throw new GenerationNotInBatchError(generationId, id)
      const { leaf, leafHash, proof } = (await treeOf(batch)).proof(generationId)!
      return c.json({
        data: {
          batch_id: batch.id.toString(),
          status: batch.status,
          chain_id: batch.chainId,
          escrow: batch.escrow,
          receipts_root: batch.receiptsRoot,
          tx_hash: batch.txHash,
          leaf_encoding: LEAF_ENCODING,
          leaf: { generation_id: leaf.generationId, account: leaf.account, payout: leaf.payout, cost_micro_usd: leaf.cost.toString(), receipt_hash: leaf.receiptHash },
          leaf_hash: leafHash,
          proof,
          receipt: generation.receipt,
        },
      })
    })
}
