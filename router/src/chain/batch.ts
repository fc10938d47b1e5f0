import { getAddress, type Address, type Hex } from 'viem'
import { operatorFee } from '@agora/protocol'
import type { Credit, Debit } from '@agora/contracts'
import { SettlementTree, settlementLeaf, type LeafSource } from './merkle.ts'

/** A charged generation no batch has taken yet, oldest first. */
export interface UnsettledGeneration extends LeafSource {
  accountId: string
}

export interface PlanBatchParameters {
  /** Candidates, oldest first. */
  generations: UnsettledGeneration[]
  /** Each candidate account's escrowed balance on chain now, keyed by lower-case address. */
  balances: ReadonlyMap<string, bigint>
  /** The escrow's treasury: it earns the fee and the usage of generations without a known payout. */
  treasury: Address
  feeBps: number
  /** The most debits + credits one `settle` call may carry (gas). */
  maxEntries: number
}

/** A batch ready to persist: the exact `settle` arguments and the generations it settles. */
export interface BatchPlan {
  generations: UnsettledGeneration[]
  /** One per account, sorted by address. */
  debits: Debit[]
  /** One per payout address, sorted by address; none of zero. */
  credits: Credit[]
  debited: bigint
  credited: bigint
  fee: bigint
  receiptsRoot: Hex
  /** Candidates left for a later batch: their account's balance on chain did not cover them, or the batch was full. */
  deferred: number
}

/** What {@link planBatch} found: a batch, or none; either way the accounts whose escrowed balance fell short. */
export interface PlanBatchReturnType {
  plan: BatchPlan | undefined
  /** Lower-case addresses of accounts with usage their escrowed balance does not cover: they wait for a deposit. */
  unfunded: string[]
}

/**
 * Builds a batch from unsettled generations. An account's generations go in oldest first
 * while its escrowed balance covers them (the escrow refuses a debit above the balance; the
 * rest wait for a deposit, and the account is reported `unfunded`); the batch stops taking
 * new accounts or payouts at `maxEntries`.
 * Each payout address is credited its generations' cost less the operator's fee on that
 * sum (`operatorFee`, rounded down), so `debited == credited + fee` exactly.
 * @example
 * const { plan, unfunded } = planBatch({ generations, balances, treasury, feeBps: 250, maxEntries: 200 })
 */
export function planBatch({ generations, balances, treasury, feeBps, maxEntries }: PlanBatchParameters): PlanBatchReturnType {
  const spent = new Map<string, bigint>()
  const earned = new Map<string, bigint>()
  const closed = new Set<string>()
  const unfunded = new Set<string>()
  const taken: UnsettledGeneration[] = []
  for (const generation of generations) {
    const account = generation.account.toLowerCase()
    if (closed.has(account)) continue
    const payout = (generation.payout ?? treasury).toLowerCase()
    const total = (spent.get(account) ?? 0n) + generation.cost
    const entries = spent.size + earned.size + (spent.has(account) ? 0 : 1) + (earned.has(payout) ? 0 : 1)
    // Oldest first per account: once one does not fit, its later ones wait too.
    if (total > (balances.get(account) ?? 0n)) unfunded.add(account)
    if (total > (balances.get(account) ?? 0n) || entries > maxEntries) {
      closed.add(account)
      continue
    }
    spent.set(account, total)
    earned.set(payout, (earned.get(payout) ?? 0n) + generation.cost)
    taken.push(generation)
  }
  if (!taken.length) return { plan: undefined, unfunded: [...unfunded] }

  const debits = [...spent].sort(byAddress).map(([account, amount]) => ({ account: getAddress(account), amount }))
  let fee = 0n
  const credits: Credit[] = []
  for (const [payout, gross] of [...earned].sort(byAddress)) {
    const cut = operatorFee(gross, feeBps)
    fee += cut
    if (gross > cut) credits.push({ payout: getAddress(payout), amount: gross - cut })
  }
  const debited = debits.reduce((sum, debit) => sum + debit.amount, 0n)
  const credited = credits.reduce((sum, credit) => sum + credit.amount, 0n)
  const tree = new SettlementTree(taken.map((generation) => settlementLeaf(generation, treasury)))
  return { plan: { generations: taken, debits, credits, debited, credited, fee, receiptsRoot: tree.root, deferred: generations.length - taken.length }, unfunded: [...unfunded] }
}

const byAddress = ([a]: [string, bigint], [b]: [string, bigint]) => (a < b ? -1 : a > b ? 1 : 0)
