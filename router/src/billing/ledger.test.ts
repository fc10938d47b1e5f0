import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getAccount, ensureAccount } from '../db/queries/accounts.ts'
import { creditJournal } from '../db/schema/index.ts'
import { fundedAccount, randomAddress, testDrivers, useTestDatabase } from '../db/testing.ts'
import { placeHold, settleHold } from './holds.ts'
import { adjust, creditsSummary, deposit, recomputeBalance } from './ledger.ts'

describe.each(await testDrivers())('ledger on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('credits a deposit once per ref', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const ref = `0x${'ab'.repeat(32)}:3`
    expect(await deposit(test.db, { accountId: account.id, amount: 5_000_000n, ref })).toEqual({ applied: true, balance: 5_000_000n })
    expect(await deposit(test.db, { accountId: account.id, amount: 5_000_000n, ref })).toEqual({ applied: false, reason: 'duplicate_ref' })
    expect(await deposit(test.db, { accountId: account.id, amount: 1n, ref: `${ref}x` })).toEqual({ applied: true, balance: 5_000_001n })
    expect((await getAccount(test.db, account.id))?.balance).toBe(5_000_001n)
    expect(await recomputeBalance(test.db, account.id)).toBe(5_000_001n)
  })

  it('credits a deposit replayed concurrently exactly once', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    const results = await Promise.all(Array.from({ length: 20 }, () => deposit(test.db, { accountId: account.id, amount: 700n, ref: `replay:${account.id}` })))
    expect(results.filter((result) => result.applied)).toHaveLength(1)
    expect((await getAccount(test.db, account.id))?.balance).toBe(700n)
    expect(await test.db.select().from(creditJournal).where(eq(creditJournal.accountId, account.id))).toHaveLength(1)
  })

  it('applies an adjustment replayed concurrently once and names the others duplicates', async () => {
    const { account } = await fundedAccount(test.db, 1_000n)
    const results = await Promise.all(
      Array.from({ length: 10 }, () => adjust(test.db, { accountId: account.id, amount: -600n, note: 'refund of deposit', ref: `adjust:${account.id}` })),
    )
    expect(results.filter((result) => result.ok)).toEqual([{ ok: true, balance: 400n }])
    expect(new Set(results.filter((result) => !result.ok).map((result) => result.reason))).toEqual(new Set(['duplicate_ref']))
    expect(await recomputeBalance(test.db, account.id)).toBe(400n)
  })

  it('refuses a deposit that is not positive', async () => {
    const account = await ensureAccount(test.db, randomAddress())
    await expect(deposit(test.db, { accountId: account.id, amount: 0n, ref: 'zero' })).rejects.toThrow(RangeError)
  })

  it('adjusts a balance up or down but never below zero', async () => {
    const { account } = await fundedAccount(test.db, 1_000n)
    expect(await adjust(test.db, { accountId: account.id, amount: 250n, note: 'goodwill' })).toEqual({ ok: true, balance: 1_250n })
    expect(await adjust(test.db, { accountId: account.id, amount: -1_251n, note: 'too much' })).toEqual({ ok: false, reason: 'insufficient_credits' })
    expect(await adjust(test.db, { accountId: account.id, amount: -1_250n, note: 'chargeback', ref: `chargeback:${account.id}` })).toEqual({ ok: true, balance: 0n })
    expect(await adjust(test.db, { accountId: account.id, amount: -1_250n, note: 'chargeback', ref: `chargeback:${account.id}` })).toEqual({
      ok: false,
      reason: 'duplicate_ref',
    })
    expect(await recomputeBalance(test.db, account.id)).toBe(0n)
  })

  it('summarises credits so that balance = deposited − used + adjusted − held', async () => {
    const { account, key } = await fundedAccount(test.db, 10_000n)
    await adjust(test.db, { accountId: account.id, amount: 500n, note: 'promo' })
    const settled = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 3_000n, deadline: new Date(Date.now() + 60_000) })
    const open = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 2_000n, deadline: new Date(Date.now() + 60_000) })
    if (!settled.ok || !open.ok) throw new Error('hold refused')
    await settleHold(test.db, {
      holdId: settled.hold.id,
      charge: 1_234n,
      generation: { id: `gen-summary-${account.id}`, model: 'm', providerPeerId: 'p', promptTokens: 1, completionTokens: 1, timeToFirstTokenMs: null, durationMs: 1, finishReason: null, status: 'completed' },
    })
    expect(await creditsSummary(test.db, account.id)).toEqual({ deposited: 10_000n, used: 1_234n, adjusted: 500n, held: 2_000n, balance: 7_266n })
    expect(await creditsSummary(test.db, (await ensureAccount(test.db, randomAddress())).id)).toEqual({ deposited: 0n, used: 0n, adjusted: 0n, held: 0n, balance: 0n })
  })
})
