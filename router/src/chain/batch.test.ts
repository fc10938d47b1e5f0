import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { getAddress, zeroHash, type Address } from 'viem'
import { operatorFee } from '@agora/protocol'
import { planBatch, type UnsettledGeneration } from './batch.ts'

const TREASURY = getAddress('0x00000000000000000000000000000000000000aa')
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`

function generation(id: number, account: number, payout: number | null, cost: bigint): UnsettledGeneration {
  return { id: `gen-${id}`, accountId: `account-${account}`, account: address(account), payout: payout === null ? null : address(payout), cost, receipt: null }
}

describe('planBatch', () => {
  it('debits each account, credits each payout less the fee rounded down, and balances exactly', () => {
    const plan = planBatch({
      generations: [generation(1, 1, 100, 1_000n), generation(2, 2, 100, 3n), generation(3, 1, 101, 999n)],
      balances: new Map([
        [address(1), 10_000n],
        [address(2), 10_000n],
      ]),
      treasury: TREASURY,
      feeBps: 250,
      maxEntries: 10,
    }).plan!
    expect(plan.debits).toEqual([
      { account: getAddress(address(1)), amount: 1_999n },
      { account: getAddress(address(2)), amount: 3n },
    ])
    // 1003 × 2.5 % = 25.075 → 25; 999 × 2.5 % = 24.975 → 24.
    expect(plan.credits).toEqual([
      { payout: getAddress(address(100)), amount: 978n },
      { payout: getAddress(address(101)), amount: 975n },
    ])
    expect(plan.fee).toBe(49n)
    expect(plan.debited).toBe(2_002n)
    expect(plan.credited + plan.fee).toBe(plan.debited)
    expect(plan.receiptsRoot).toMatch(/^0x[0-9a-f]{64}$/)
    expect(plan.deferred).toBe(0)
  })

  it("takes an account's generations oldest first while its escrowed balance covers them", () => {
    const plan = planBatch({
      generations: [generation(1, 1, 100, 600n), generation(2, 1, 100, 500n), generation(3, 1, 100, 100n), generation(4, 2, 100, 7n)],
      balances: new Map([[address(1), 1_000n]]),
      treasury: TREASURY,
      feeBps: 0,
      maxEntries: 10,
    }).plan!
    // The 500 does not fit after the 600, so neither does the later 100; account 2 has nothing in escrow.
    expect(plan.generations.map((g) => g.id)).toEqual(['gen-1'])
    expect(plan.debits).toEqual([{ account: getAddress(address(1)), amount: 600n }])
    expect(plan.deferred).toBe(3)
  })

  it('reports the accounts whose escrowed balance falls short, not those left out of a full batch', () => {
    const generations = [generation(1, 1, 100, 600n), generation(2, 1, 100, 500n), generation(3, 2, 100, 7n), generation(4, 3, 101, 1n)]
    const balances = new Map([
      [address(1), 1_000n],
      [address(3), 5n],
    ])
    expect(planBatch({ generations, balances, treasury: TREASURY, feeBps: 0, maxEntries: 3 }).unfunded).toEqual([address(1), address(2)])
  })

  it('credits the treasury for a generation without a known payout', () => {
    const plan = planBatch({ generations: [generation(1, 1, null, 50n)], balances: new Map([[address(1), 50n]]), treasury: TREASURY, feeBps: 1_000, maxEntries: 10 }).plan!
    expect(plan.credits).toEqual([{ payout: TREASURY, amount: 45n }])
    expect(plan.fee).toBe(5n)
  })

  it('leaves out a credit of zero (a fee of 100 %) and returns nothing when nothing fits', () => {
    const all = planBatch({ generations: [generation(1, 1, 100, 50n)], balances: new Map([[address(1), 50n]]), treasury: TREASURY, feeBps: 10_000, maxEntries: 10 }).plan!
    expect(all.credits).toEqual([])
    expect(all.fee).toBe(50n)
    expect(planBatch({ generations: [generation(1, 1, 100, 50n)], balances: new Map(), treasury: TREASURY, feeBps: 0, maxEntries: 10 })).toEqual({ plan: undefined, unfunded: [address(1)] })
  })

  it('stops taking new accounts and payouts at maxEntries', () => {
    const generations = [1, 2, 3, 4].map((n) => generation(n, n, 100 + n, 10n))
    const balances = new Map(generations.map((g) => [g.account, 100n]))
    const plan = planBatch({ generations, balances, treasury: TREASURY, feeBps: 0, maxEntries: 5 }).plan!
    expect(plan.debits.length + plan.credits.length).toBeLessThanOrEqual(5)
    expect(plan.generations.map((g) => g.id)).toEqual(['gen-1', 'gen-2'])
  })

  it('always balances, never overdraws an account, and takes each generation at most once', () => {
    const arbitraryGeneration = fc.record({ account: fc.integer({ min: 1, max: 6 }), payout: fc.option(fc.integer({ min: 100, max: 104 })), cost: fc.bigInt({ min: 1n, max: 10n ** 12n }) })
    fc.assert(
      fc.property(
        fc.array(arbitraryGeneration, { minLength: 1, maxLength: 60 }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 13n }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 2, max: 12 }),
        (drawn, funds, feeBps, maxEntries) => {
          const generations = drawn.map((g, i) => generation(i, g.account, g.payout, g.cost))
          const balances = new Map(funds.map((amount, i) => [address(i + 1), amount]))
          const { plan } = planBatch({ generations, balances, treasury: TREASURY, feeBps, maxEntries })
          if (!plan) return
          expect(plan.credited + plan.fee).toBe(plan.debited)
          expect(plan.debits.length + plan.credits.length).toBeLessThanOrEqual(maxEntries)
          expect(new Set(plan.generations.map((g) => g.id)).size).toBe(plan.generations.length)
          expect(plan.generations.length + plan.deferred).toBe(generations.length)
          for (const debit of plan.debits) {
            const taken = plan.generations.filter((g) => getAddress(g.account) === debit.account).reduce((sum, g) => sum + g.cost, 0n)
            expect(debit.amount).toBe(taken)
            expect(debit.amount).toBeLessThanOrEqual(balances.get(debit.account.toLowerCase())!)
          }
          let fee = 0n
          const gross = new Map<Address, bigint>()
          for (const g of plan.generations) gross.set(getAddress(g.payout ?? TREASURY), (gross.get(getAddress(g.payout ?? TREASURY)) ?? 0n) + g.cost)
          for (const [payout, amount] of gross) {
            fee += operatorFee(amount, feeBps)
            expect(plan.credits.find((c) => c.payout === payout)?.amount ?? 0n).toBe(amount - operatorFee(amount, feeBps))
          }
          expect(plan.fee).toBe(fee)
        },
      ),
    )
  })

  it('commits to the generations in its root: another set, or another receipt, gives another root', () => {
    const balances = new Map([[address(1), 1_000n]])
    const base = { balances, treasury: TREASURY, feeBps: 0, maxEntries: 10 }
    const one = planBatch({ ...base, generations: [generation(1, 1, 100, 5n), generation(2, 1, 100, 5n)] }).plan!
    const same = planBatch({ ...base, generations: [generation(2, 1, 100, 5n), generation(1, 1, 100, 5n)] }).plan!
    const other = planBatch({ ...base, generations: [generation(1, 1, 100, 5n), generation(3, 1, 100, 5n)] }).plan!
    expect(same.receiptsRoot).toBe(one.receiptsRoot)
    expect(other.receiptsRoot).not.toBe(one.receiptsRoot)
    expect(one.receiptsRoot).not.toBe(zeroHash)
  })
})
