import type { Logger } from 'pino'
import { BaseError, ContractFunctionRevertedError, TransactionReceiptNotFoundError, encodeFunctionData, getAddress, keccak256, type Address, type Hash, type Hex } from 'viem'
import { creditEscrowAbi, type ChainClients } from '@agora/contracts'
import type { Database } from '../db/index.ts'
import { acquireLease, releaseLease } from '../db/queries/chain.ts'
import { discardBatch, getBatch, insertBatch, listUnsettledGenerations, markConfirmed, markSubmitted, openBatch, unsettledSummary } from '../db/queries/settlements.ts'
import type { SettlementBatch } from '../db/schema/index.ts'
import { planBatch, type BatchPlan } from './batch.ts'
import type { EscrowEvent } from './events.ts'
import { MAX_BATCH_ENTRIES, MAX_BATCH_GENERATIONS, MAX_DISCARDS_IN_A_ROW, SETTLE_GAS_MARGIN_PERCENT, SETTLEMENT_LEASE, SETTLEMENT_LEASE_TTL_MS } from './constants.ts'

export interface SettlerParameters extends ChainClients {
  db: Database
  chainId: number
  escrow: Address
  /** Blocks the `settle` transaction needs (its own included) before the batch counts as confirmed. */
  confirmations: number
  feeBps: number
  /** A batch is due once the oldest unsettled charge is this old. */
  intervalMs: number
  /** A batch is due once unsettled charges reach this many micro-USD. */
  threshold: bigint
  /** This router, unique among those sharing the database: the settlement lease's holder. */
  holder: string
  /** How long `settle()` waits between steps. */
  pollIntervalMs: number
  /** The most unsettled generations one build looks at; `MAX_BATCH_GENERATIONS` by default. */
  maxGenerations?: number
  log: Logger
  now?: () => number
}

/** What one {@link Settler.step} did. */
export type SettlementStep =
  | { kind: 'idle'; reason: 'not-leader' | 'not-due' | 'nothing-settleable' | 'paused' }
  | { kind: 'submitted'; batch: SettlementBatch }
  | { kind: 'confirming'; batch: SettlementBatch; confirmations: number }
  | { kind: 'confirmed'; batch: SettlementBatch }
  | { kind: 'discarded'; batchId: bigint; reason: string }

/**
 * Settles the ledger's charged generations to the escrow in sequential batches.
 *
 * A batch moves `pending → submitted → confirmed`, and every move is persisted before the
 * next one starts: it is built and stored with its generations marked (one transaction)
 * before anything is signed; its signed transaction is stored before it is broadcast;
 * it is confirmed once the transaction succeeded with `confirmations` blocks. On any
 * start the open batch is resumed where it stands: a pending one is signed, a submitted
 * one re-broadcast byte for byte (same nonce, same hash) until it lands. A batch the
 * chain can never take — refused in simulation before anything was sent, or whose
 * transaction reverted or lost its nonce to another with `confirmations` blocks on top —
 * is discarded and its generations wait for the next batch, which takes the same id
 * (the escrow's `nextBatchId` did not move). So no batch is skipped or applied twice.
 *
 * One router at a time settles: the holder of the `settlement` lease in the database.
 */
export class Settler {
  readonly #p: SettlerParameters
  readonly #now: () => number
  /**
   * Accounts (lower-case addresses) whose usage their escrowed balance did not cover, until
   * when they are left out of batches: so that they do not hide settleable usage behind
   * theirs. A deposit of theirs lets them back in at once.
   */
  readonly #unfunded = new Map<string, number>()
  /** Steps of this router run one after the other. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(parameters: SettlerParameters) {
    this.#p = parameters
    this.#now = parameters.now ?? Date.now
  }

  /**
   * Escrow events were applied: an account that deposited may now cover its usage.
   * @example
   * watcher.onApplied = (events) => settler.wake(events)
   */
  wake(events: EscrowEvent[]): void {
    for (const event of events) if (event.eventName === 'Deposit') this.#unfunded.delete(event.args.account.toLowerCase())
  }

  /**
   * One step: resume the open batch, or build one when due (or `force`d), then take it as
   * far as it goes without waiting: signed, broadcast, confirmed once deep enough.
   * @example
   * setInterval(() => settler.step(), 5_000)
   */
  step({ force = false }: { force?: boolean } = {}): Promise<SettlementStep> {
    const run = this.#queue.then(() => this.#step(force))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #step(force: boolean): Promise<SettlementStep> {
    const { db, chainId, holder } = this.#p
    if (!(await acquireLease(db, { name: SETTLEMENT_LEASE, holder, ttlMs: SETTLEMENT_LEASE_TTL_MS }))) return { kind: 'idle', reason: 'not-leader' }
    let batch = await openBatch(db, chainId)
    if (!batch) {
      if (!force && !(await this.#due())) return { kind: 'idle', reason: 'not-due' }
      const built = await this.build()
      if ('reason' in built) return { kind: 'idle', reason: built.reason }
      batch = built.batch
    }
    if (batch.status === 'pending') {
      const signed = await this.sign(batch)
      if (signed.kind === 'discarded') return signed
      batch = signed.batch
    }
    return this.advance(batch)
  }

  /**
   * Settles now, whatever is due: steps until a batch is confirmed or there is nothing to
   * settle, waiting `pollIntervalMs` between steps while a transaction gathers confirmations.
   * @example
   * const result = await settler.settle()
   */
  async settle(): Promise<SettlementStep> {
    let discards = 0
    // The batch on its way; the router's own polling may take it the rest of the way meanwhile.
    let following: bigint | undefined
    for (;;) {
      const step = await this.step({ force: following === undefined })
      if (step.kind === 'confirmed') return step
      if (step.kind === 'discarded') {
        if (++discards >= MAX_DISCARDS_IN_A_ROW) throw new Error(`the escrow refused ${discards} batches in a row, the last: ${step.reason}`)
        following = undefined
        continue
      }
      if (step.kind === 'idle' && following === undefined) return step
      if (step.kind !== 'idle') following = step.batch.id
      const batch = await getBatch(this.#p.db, following!)
      if (batch?.status === 'confirmed') return { kind: 'confirmed', batch }
      if (!batch) following = undefined
      else await new Promise((resolve) => setTimeout(resolve, this.#p.pollIntervalMs))
    }
  }

  /**
   * Builds the next batch from unsettled generations and the chain's state, and stores it
   * as pending with its generations marked. Nothing is sent.
   * @example
   * const built = await settler.build()
   */
  async build(): Promise<{ batch: SettlementBatch } | { reason: 'nothing-settleable' | 'paused' }> {
    const { db, publicClient, chainId, escrow, feeBps, log } = this.#p
    const now = this.#now()
    for (const [account, until] of this.#unfunded) if (until <= now) this.#unfunded.delete(account)
    const read = <F extends 'nextBatchId' | 'treasury' | 'paused'>(functionName: F) => publicClient.readContract({ address: escrow, abi: creditEscrowAbi, functionName })
    let chainState: { id: bigint; treasury: Address } | undefined
    let plan: BatchPlan | undefined
    // Each round that finds nothing the chain can take leaves out more unfunded accounts, so it ends.
    while (!plan) {
      const candidates = await listUnsettledGenerations(db, { limit: this.#p.maxGenerations ?? MAX_BATCH_GENERATIONS, excluding: [...this.#unfunded.keys()] })
      if (!candidates.length) return { reason: 'nothing-settleable' }
      if (!chainState) {
        const [id, treasury, paused] = await Promise.all([read('nextBatchId'), read('treasury'), read('paused')])
        if (paused) {
          log.warn({ escrow }, 'the escrow is paused: settlement waits')
          return { reason: 'paused' }
        }
        chainState = { id, treasury }
      }
      const accounts = [...new Set(candidates.map((candidate) => candidate.account))]
      const balances = new Map(
        await Promise.all(accounts.map(async (account) => [account, await publicClient.readContract({ address: escrow, abi: creditEscrowAbi, functionName: 'balanceOf', args: [getAddress(account)] })] as const)),
      )
      const planned = planBatch({ generations: candidates, balances, treasury: chainState.treasury, feeBps, maxEntries: MAX_BATCH_ENTRIES })
      for (const account of planned.unfunded) this.#unfunded.set(account, now + this.#p.intervalMs)
      if (planned.unfunded.length) log.info({ accounts: planned.unfunded.length }, 'usage not covered by escrowed balances waits for deposits')
      if (!planned.plan && !planned.unfunded.length) return { reason: 'nothing-settleable' }
      plan = planned.plan
    }
    const { id, treasury } = chainState!
    const stored = await insertBatch(
      db,
      {
        id,
        chainId,
        escrow: escrow.toLowerCase(),
        receiptsRoot: plan.receiptsRoot,
        debited: plan.debited,
        credited: plan.credited,
        fee: plan.fee,
        feeBps,
        debits: plan.debits.map(({ account, amount }) => ({ account, amount: amount.toString() })),
        credits: plan.credits.map(({ payout, amount }) => ({ payout, amount: amount.toString() })),
        treasury: treasury.toLowerCase(),
        generationCount: plan.generations.length,
      },
      plan.generations.map((generation) => generation.id),
    )
    // Another router built one at the same moment: its batch is the open one.
    if (!stored) return { reason: 'nothing-settleable' }
    log.info({ batchId: id, generations: plan.generations.length, deferred: plan.deferred, debited: plan.debited, fee: plan.fee, root: plan.receiptsRoot }, 'settlement batch built')
    return { batch: (await getBatch(db, id))! }
  }

  /**
   * Signs a pending batch's `settle` transaction and stores it (status `submitted`) before
   * it is broadcast; discards the batch when the chain refuses it in simulation.
   * @example
   * const signed = await settler.sign(batch)
   */
  async sign(batch: SettlementBatch): Promise<{ kind: 'signed'; batch: SettlementBatch } | Extract<SettlementStep, { kind: 'discarded' }>> {
    const { db, publicClient, walletClient, escrow, log } = this.#p
    const account = walletClient.account
    const next = await publicClient.readContract({ address: escrow, abi: creditEscrowAbi, functionName: 'nextBatchId' })
    if (next !== batch.id) {
      // Another router may have signed and sent it meanwhile; otherwise a pending batch was
      // never broadcast, and the chain cannot have taken its id.
      const current = await this.#current(batch)
      if (current.kind === 'discarded' || current.batch.status !== 'pending') return current
      throw new Error(`pending batch ${batch.id} but the escrow expects batch ${next}: was the operator key used elsewhere?`)
    }
    const args = settleArgs(batch)
    try {
      await publicClient.simulateContract({ account, address: escrow, abi: creditEscrowAbi, functionName: 'settle', args })
    } catch (error) {
      const revert = error instanceof BaseError ? error.walk((cause) => cause instanceof ContractFunctionRevertedError) : null
      if (!(revert instanceof ContractFunctionRevertedError)) throw error
      return (await this.#discard(batch, `the escrow refuses it: ${revert.data?.errorName ?? revert.shortMessage}`)) ?? this.#current(batch)
    }
    const data = encodeFunctionData({ abi: creditEscrowAbi, functionName: 'settle', args })
    const estimate = await publicClient.estimateGas({ account, to: escrow, data })
    const request = await walletClient.prepareTransactionRequest({ to: escrow, data, gas: (estimate * (100n + SETTLE_GAS_MARGIN_PERCENT)) / 100n })
    const rawTransaction = await walletClient.signTransaction(request)
    const txHash = keccak256(rawTransaction)
    // When another router signed it first, its transaction is the one to follow.
    if (await markSubmitted(db, batch.id, { nonce: request.nonce, txHash, rawTransaction })) log.info({ batchId: batch.id, txHash, nonce: request.nonce, gas: request.gas }, 'settlement transaction signed')
    return this.#current(batch)
  }

  /** The stored state of a batch another router may have moved on meanwhile. */
  async #current(batch: SettlementBatch): Promise<{ kind: 'signed'; batch: SettlementBatch } | Extract<SettlementStep, { kind: 'discarded' }>> {
    const current = await getBatch(this.#p.db, batch.id)
    return current ? { kind: 'signed', batch: current } : { kind: 'discarded', batchId: batch.id, reason: 'another router discarded it' }
  }

  /**
   * Follows a submitted batch: re-broadcasts its transaction until it is mined, then marks
   * the batch confirmed once the transaction has `confirmations` blocks (or discards it
   * when it reverted).
   * @example
   * const step = await settler.advance(batch)
   */
  async advance(batch: SettlementBatch): Promise<SettlementStep> {
    const { db, publicClient, walletClient, escrow, confirmations, log } = this.#p
    const hash = batch.txHash as Hash
    const receiptOf = () =>
      publicClient.getTransactionReceipt({ hash }).catch((error: unknown) => {
        if (error instanceof TransactionReceiptNotFoundError) return undefined
        throw error
      })
    let receipt = await receiptOf()
    if (!receipt) {
      await publicClient.sendRawTransaction({ serializedTransaction: batch.rawTransaction as Hex }).catch((error: unknown) => {
        // Already in the pool, already mined, or its nonce used: what follows tells which.
        log.debug({ batchId: batch.id, txHash: hash, err: error instanceof BaseError ? error.shortMessage : error }, 'settlement transaction not re-broadcast')
      })
      receipt = await receiptOf()
    }
    const head = await publicClient.getBlockNumber({ cacheTime: 0 })
    if (!receipt) {
      const safe = head - BigInt(confirmations - 1)
      const used = safe >= 0n ? await publicClient.getTransactionCount({ address: walletClient.account.address, blockNumber: safe }) : 0
      // Its nonce went to another transaction, deep enough not to be undone: this one can never land.
      if (used > batch.nonce! && !(await receiptOf())) return this.#discardSubmitted(batch, `its nonce ${batch.nonce} was used by another transaction`)
      return { kind: 'submitted', batch }
    }
    const depth = Number(head - receipt.blockNumber + 1n)
    if (depth < confirmations) return { kind: 'confirming', batch, confirmations: depth }
    if (receipt.status === 'reverted') return this.#discardSubmitted(batch, `its transaction ${hash} reverted`)
    const root = await publicClient.readContract({ address: escrow, abi: creditEscrowAbi, functionName: 'receiptsRootOf', args: [batch.id] })
    if (root.toLowerCase() !== batch.receiptsRoot.toLowerCase()) throw new Error(`batch ${batch.id} landed in ${hash} but the escrow holds root ${root}, not ${batch.receiptsRoot}`)
    await markConfirmed(db, batch.id, receipt.blockNumber)
    log.info({ batchId: batch.id, txHash: hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed }, 'settlement batch confirmed')
    return { kind: 'confirmed', batch: (await getBatch(db, batch.id))! }
  }

  /** Gives up the lease, so that another router may settle at once. */
  async stop(): Promise<void> {
    await releaseLease(this.#p.db, { name: SETTLEMENT_LEASE, holder: this.#p.holder })
  }

  async #due(): Promise<boolean> {
    const { total, oldest, withdrawing } = await unsettledSummary(this.#p.db)
    if (total === 0n) return false
    // A user on the way out: settle what it spent before its thaw ends.
    return withdrawing || total >= this.#p.threshold || (oldest !== null && this.#now() - oldest.getTime() >= this.#p.intervalMs)
  }

  /** Discards the batch as seen; undefined when another router moved it on meanwhile (it is then followed, not dropped). */
  async #discard(batch: SettlementBatch, reason: string): Promise<Extract<SettlementStep, { kind: 'discarded' }> | undefined> {
    if (!(await discardBatch(this.#p.db, batch))) return undefined
    this.#p.log.warn({ batchId: batch.id, txHash: batch.txHash, reason }, 'settlement batch discarded: its generations go to the next batch')
    return { kind: 'discarded', batchId: batch.id, reason }
  }

  /** Discards a submitted batch, or reports where another router has taken it. */
  async #discardSubmitted(batch: SettlementBatch, reason: string): Promise<SettlementStep> {
    const discarded = await this.#discard(batch, reason)
    if (discarded) return discarded
    const current = await this.#current(batch)
    return current.kind === 'discarded' ? current : { kind: 'submitted', batch: current.batch }
  }
}

/** The `settle` arguments of a stored batch, exactly as it was built. */
function settleArgs(batch: SettlementBatch) {
  return [
    batch.id,
    batch.receiptsRoot as Hex,
    batch.debits.map(({ account, amount }) => ({ account: getAddress(account), amount: BigInt(amount) })),
    batch.credits.map(({ payout, amount }) => ({ payout: getAddress(payout), amount: BigInt(amount) })),
    batch.fee,
  ] as const
}
