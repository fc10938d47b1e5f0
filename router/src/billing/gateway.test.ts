import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { adjust } from './ledger.ts'
import { fundedAccount, testDrivers, useTestDatabase } from '../db/testing.ts'
import { BillingGateway } from './gateway.ts'
import { KeyRateLimiter } from './rate-limit.ts'

const IN_A_MINUTE = () => new Date(Date.now() + 60_000)

describe.each(await testDrivers())('holding ahead on %s', (driver) => {
  const test = useTestDatabase(driver)
  const gateway = () => new BillingGateway({ db: test.db, rateLimiter: new KeyRateLimiter(), log: pino({ level: 'silent' }) })

  it('waits for the hold of an account it has not seen, then goes ahead while the balance it saw covers its holds in flight', async () => {
    const billing = gateway()
    const { key } = await fundedAccount(test.db, 1_000n)

    const first = billing.startHold(key, 300n, IN_A_MINUTE())
    expect(first.ahead).toBe(false)
    await first.placed // the router now knows the balance: 700

    const second = billing.startHold(key, 400n, IN_A_MINUTE())
    const third = billing.startHold(key, 400n, IN_A_MINUTE()) // 700 − 400 in flight does not cover it
    expect([second.ahead, third.ahead]).toEqual([true, false])
    await second.placed
    await expect(third.placed).rejects.toMatchObject({ status: 402, code: 'insufficient_credits' })
  })

  it('refuses a hold that went ahead when the balance changed elsewhere since, and leaves the balance as it was', async () => {
    const billing = gateway()
    const { account, key } = await fundedAccount(test.db, 1_000n)
    await billing.startHold(key, 100n, IN_A_MINUTE()).placed
    await adjust(test.db, { accountId: account.id, amount: -850n, note: 'spent through another replica' })

    const late = billing.startHold(key, 100n, IN_A_MINUTE())
    expect(late.ahead).toBe(true)
    await expect(late.placed).rejects.toMatchObject({ status: 402, code: 'insufficient_credits' })
    // It saw the balance the refusal reported, 50, and goes by that.
    const small = billing.startHold(key, 10n, IN_A_MINUTE())
    expect(small.ahead).toBe(true)
    await small.placed
    const large = billing.startHold(key, 60n, IN_A_MINUTE())
    expect(large.ahead).toBe(false)
    await expect(large.placed).rejects.toMatchObject({ status: 402 })
  })
})
