import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { getGeneration, keyUsage } from '../db/queries/generations.ts'
import { fundedAccount, testDrivers, useTestDatabase } from '../db/testing.ts'
import { placeHold, settleHold, type GenerationRecord } from './holds.ts'
import { keySpend, spendLimitAllows, spendPeriod, utcDay } from './spend.ts'

const at = (iso: string) => new Date(iso)

describe('spendPeriod', () => {
  it('cuts UTC days', () => {
    expect(spendPeriod('daily', at('2025-03-09T23:59:59.999Z'))).toEqual({ reset: 'daily', start: at('2025-03-09T00:00:00Z'), end: at('2025-03-10T00:00:00Z') })
    expect(spendPeriod('daily', at('2025-03-10T00:00:00Z')).start).toEqual(at('2025-03-10T00:00:00Z'))
  })

  it('cuts ISO weeks, Monday to Monday, across a year end', () => {
    const week = { reset: 'weekly', start: at('2024-12-30T00:00:00Z'), end: at('2025-01-06T00:00:00Z') }
    expect(spendPeriod('weekly', at('2024-12-30T00:00:00Z'))).toEqual(week) // Monday
    expect(spendPeriod('weekly', at('2025-01-01T12:00:00Z'))).toEqual(week) // Wednesday
    expect(spendPeriod('weekly', at('2025-01-05T23:59:59Z'))).toEqual(week) // Sunday
    expect(spendPeriod('weekly', at('2025-01-06T00:00:00Z')).start).toEqual(at('2025-01-06T00:00:00Z'))
  })

  it('cuts calendar months, February and December included', () => {
    expect(spendPeriod('monthly', at('2024-02-29T10:00:00Z'))).toEqual({ reset: 'monthly', start: at('2024-02-01T00:00:00Z'), end: at('2024-03-01T00:00:00Z') })
    expect(spendPeriod('monthly', at('2025-12-31T23:59:59Z'))).toEqual({ reset: 'monthly', start: at('2025-12-01T00:00:00Z'), end: at('2026-01-01T00:00:00Z') })
  })

  it('never resets a `never` limit', () => {
    expect(spendPeriod('never', at('2025-06-15T00:00:00Z'))).toEqual({ reset: 'never', start: null, end: null })
  })

  it('names the UTC day of an instant', () => {
    expect(utcDay(at('2025-03-01T23:59:59Z'))).toBe('2025-03-01')
    expect(utcDay(new Date(Date.UTC(2025, 2, 2, 0, 0, 0)))).toBe('2025-03-02')
  })
})

describe('spendLimitAllows', () => {
  const period = spendPeriod('never', new Date())
  it('counts spent, held and the new request against the limit', () => {
    expect(spendLimitAllows(1_000n, { period, spent: 600n, held: 300n }, 100n)).toBe(true)
    expect(spendLimitAllows(1_000n, { period, spent: 600n, held: 300n }, 101n)).toBe(false)
    expect(spendLimitAllows(null, { period, spent: 10n ** 18n, held: 0n }, 1n)).toBe(true)
  })
})

function generation(): GenerationRecord {
  return { id: `gen-${randomUUID()}`, model: 'm', providerPeerId: 'p', promptTokens: 10, completionTokens: 20, timeToFirstTokenMs: 5, durationMs: 50, finishReason: 'stop', status: 'completed' }
}

describe.each(await testDrivers())('key spend and usage on %s', (driver) => {
  const test = useTestDatabase(driver)

  /** Settles a request of `charge` for the key on the day of `now`. */
  async function spend(accountId: string, keyId: string, charge: bigint, now: string): Promise<void> {
    const placed = await placeHold(test.db, { accountId, keyId, amount: charge, deadline: new Date(Date.now() + 60_000) })
    if (!placed.ok) throw new Error('hold refused')
    await settleHold(test.db, { holdId: placed.hold.id, charge, generation: generation(), now: at(now) })
  }

  it('sums the charges of the current period and the open holds', async () => {
    const { account, key } = await fundedAccount(test.db, 1_000_000n)
    await spend(account.id, key.id, 100n, '2025-01-31T23:00:00Z') // Friday, January
    await spend(account.id, key.id, 200n, '2025-02-01T01:00:00Z') // Saturday, February
    await spend(account.id, key.id, 400n, '2025-02-03T12:00:00Z') // Monday, next week
    await spend(account.id, key.id, 800n, '2025-02-03T13:00:00Z')
    await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 50n, deadline: new Date(Date.now() + 60_000) })

    const now = at('2025-02-03T18:00:00Z')
    const spent = async (reset: 'daily' | 'weekly' | 'monthly' | 'never') => (await keySpend(test.db, { id: key.id, spendReset: reset }, now)).spent
    expect(await spent('daily')).toBe(1_200n)
    expect(await spent('weekly')).toBe(1_200n)
    expect(await spent('monthly')).toBe(1_400n)
    expect(await spent('never')).toBe(1_500n)
    expect(await keySpend(test.db, key, now)).toEqual({ period: spendPeriod('never', now), spent: 1_500n, held: 50n })
    const sunday = at('2025-02-02T18:00:00Z')
    expect(await keySpend(test.db, { id: key.id, spendReset: 'weekly' }, sunday)).toMatchObject({ spent: 300n, held: 50n })
  })

  it('reports usage per day, week and month', async () => {
    const { account, key } = await fundedAccount(test.db, 1_000_000n)
    await spend(account.id, key.id, 100n, '2025-01-31T23:00:00Z')
    await spend(account.id, key.id, 200n, '2025-02-01T01:00:00Z')
    await spend(account.id, key.id, 400n, '2025-02-03T12:00:00Z')
    await spend(account.id, key.id, 800n, '2025-02-03T13:00:00Z')
    const usage = (granularity: 'day' | 'week' | 'month') => keyUsage(test.db, { keyId: key.id, accountId: account.id, granularity })
    const request = { requests: 1, promptTokens: 10, completionTokens: 20 }
    expect(await usage('day')).toEqual([
      { start: '2025-01-31', spent: 100n, ...request },
      { start: '2025-02-01', spent: 200n, ...request },
      { start: '2025-02-03', spent: 1_200n, requests: 2, promptTokens: 20, completionTokens: 40 },
    ])
    expect((await usage('week')).map(({ start, spent }) => [start, spent])).toEqual([
      ['2025-01-27', 300n],
      ['2025-02-03', 1_200n],
    ])
    expect((await usage('month')).map(({ start, spent }) => [start, spent])).toEqual([
      ['2025-01-01', 100n],
      ['2025-02-01', 1_400n],
    ])
    expect(await keyUsage(test.db, { keyId: key.id, accountId: account.id, granularity: 'day', from: '2025-02-01', to: '2025-02-03' })).toHaveLength(1)
    const stranger = await fundedAccount(test.db, 0n)
    expect(await keyUsage(test.db, { keyId: key.id, accountId: stranger.account.id, granularity: 'day' })).toEqual([])
  })

  it('shows a generation to its own account only', async () => {
    const { account, key } = await fundedAccount(test.db, 1_000n)
    const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 500n, deadline: new Date(Date.now() + 60_000) })
    if (!placed.ok) throw new Error('hold refused')
    const done = { ...generation(), receipt: { signature: '0x01', tokens: 30 } }
    await settleHold(test.db, { holdId: placed.hold.id, charge: 42n, generation: done, now: at('2025-05-05T05:05:05Z') })
    expect(await getGeneration(test.db, { id: done.id, accountId: account.id })).toMatchObject({
      id: done.id,
      accountId: account.id,
      keyId: key.id,
      holdId: placed.hold.id,
      cost: 42n,
      timeToFirstTokenMs: 5,
      receipt: { signature: '0x01', tokens: 30 },
      settlementBatchId: null,
      createdAt: at('2025-05-05T05:05:05Z'),
    })
    const stranger = await fundedAccount(test.db, 0n)
    expect(await getGeneration(test.db, { id: done.id, accountId: stranger.account.id })).toBeUndefined()
  })
})
