import type { Logger } from 'pino'
import type { Address, Chain, PublicClient, Transport } from 'viem'
import { deposit } from '../billing/ledger.ts'
import type { Database } from '../db/index.ts'
import { ensureAccount } from '../db/queries/accounts.ts'
import { advanceCursor, ensureCursor, readCursor } from '../db/queries/chain.ts'
import { EscrowEvent, WATCHED_EVENTS, eventRef } from './events.ts'
import { applyWithdrawal, applyWithdrawalCancelled, applyWithdrawalRequested } from './withdrawals.ts'

export interface EscrowWatcherParameters {
  db: Database
  client: PublicClient<Transport, Chain>
  chainId: number
  escrow: Address
  /** Where reading starts the first time: the escrow's deployment block. */
  deploymentBlock: bigint
  /** Blocks a log needs (its own included) before it is applied. */
  confirmations: number
  /** The most blocks one `eth_getLogs` covers. */
  maxBlockRange: bigint
  log: Logger
  /** Told after a range with deposits or withdrawal events was applied, so the settler can look again. */
  onApplied?: (events: EscrowEvent[]) => void
}

/** What one {@link EscrowWatcher.scan} did. */
export type ScanReturnType =
  | { kind: 'applied'; from: bigint; to: bigint; events: number; /** Whether `to` is the newest block with enough confirmations. */ caughtUp: boolean }
  | { kind: 'waiting'; /** The next block to read, not yet confirmed enough. */ next: bigint }
  | { kind: 'raced'; from: bigint }

/**
 * Applies the escrow's `Deposit` and withdrawal events to the ledger, by polling
 * `eth_getLogs` over block ranges below a persisted cursor:
 *
 * - only blocks with `confirmations` confirmations are read, so a reorg shallower than that
 *   changes nothing already applied;
 * - a range's events and the cursor's advance past it are one database transaction, so a
 *   crash applies a range entirely or not at all, and a restart goes on from the cursor;
 * - the transaction locks the cursor row and applies the range only if the cursor is still
 *   where the range starts, so two routers on one database never apply a range twice; a
 *   deposit is credited once per `<tx hash>:<log index>` besides (the journal's unique `ref`).
 */
export class EscrowWatcher {
  readonly #p: EscrowWatcherParameters

  constructor(parameters: EscrowWatcherParameters) {
    this.#p = parameters
  }

  /** Creates the cursor at the deployment block on first start; an existing cursor is kept. */
  async init(): Promise<void> {
    const { db, chainId, escrow, deploymentBlock } = this.#p
    await ensureCursor(db, { chainId, escrow, fromBlock: deploymentBlock })
  }

  /**
   * Reads and applies the next range of confirmed blocks (at most `maxBlockRange`).
   * @example
   * while ((await watcher.scan()).kind === 'applied') {}
   */
  async scan(): Promise<ScanReturnType> {
    const { db, client, chainId, escrow, confirmations, maxBlockRange } = this.#p
    const cursor = { chainId, escrow }
    const from = await readCursor(db, cursor)
    if (from === undefined) throw new Error(`no cursor for escrow ${escrow} on chain ${chainId}: call init() first`)
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const safe = head - BigInt(confirmations - 1)
    if (safe < from) return { kind: 'waiting', next: from }
    const to = safe < from + maxBlockRange - 1n ? safe : from + maxBlockRange - 1n

    const logs = await client.getLogs({ address: escrow, events: WATCHED_EVENTS, fromBlock: from, toBlock: to, strict: true })
    const events = logs.map((log) => EscrowEvent.parse(log)).sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))

    const applied = await db.transaction(async (tx) => {
      // Another router may have applied this range while the logs were read: then leave it.
      if ((await readCursor(tx, cursor, { lock: true })) !== from) return false
      for (const event of events) await this.#apply(tx, event)
      await advanceCursor(tx, { ...cursor, nextBlock: to + 1n })
      return true
    })
    if (!applied) return { kind: 'raced', from }
    if (events.length) {
      this.#p.log.info({ from, to, events: events.length }, 'escrow events applied')
      this.#p.onApplied?.(events)
    }
    return { kind: 'applied', from, to, events: events.length, caughtUp: to === safe }
  }

  /**
   * Scans until the cursor reaches the newest confirmed block, whichever router applies
   * the ranges on the way: once it returns, every confirmed event is in the ledger.
   * @example
   * await watcher.catchUp()
   */
  async catchUp(): Promise<void> {
    for (;;) {
      const result = await this.scan()
      if (result.kind === 'waiting' || (result.kind === 'applied' && result.caughtUp)) return
    }
  }

  async #apply(tx: Database, event: EscrowEvent): Promise<void> {
    const { log } = this.#p
    const account = await ensureAccount(tx, event.args.account)
    const ref = eventRef(event)
    switch (event.eventName) {
      case 'Deposit': {
        const result = await deposit(tx, { accountId: account.id, amount: event.args.amount, ref, note: `escrow deposit from ${event.args.payer}` })
        if (!result.applied) log.warn({ ref }, 'deposit already credited')
        return
      }
      case 'WithdrawalRequested': {
        const effect = await applyWithdrawalRequested(tx, account.id, event)
        log.info({ ref, account: account.address, requested: event.args.amount, change: effect.change }, 'withdrawal requested: credits reserved')
        return
      }
      case 'WithdrawalCancelled': {
        const effect = await applyWithdrawalCancelled(tx, account.id, event)
        log.info({ ref, account: account.address, change: effect.change }, 'withdrawal cancelled: reservation released')
        return
      }
      case 'Withdrawal': {
        const effect = await applyWithdrawal(tx, account.id, event)
        if (effect.uncovered > 0n) log.error({ ref, account: account.address, paid: event.args.amount, uncovered: effect.uncovered }, 'withdrawal paid out usage that was never settled')
        else log.info({ ref, account: account.address, paid: event.args.amount, change: effect.change }, 'withdrawal paid')
        return
      }
    }
  }
}
