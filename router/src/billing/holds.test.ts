import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { requestCost } from '@agora/protocol'
import type { Database } from '../db/index.ts'
import { getAccount } from '../db/queries/accounts.ts'
import { getGeneration } from '../db/queries/generations.ts'
import { listJournal } from '../db/queries/usage.ts'
import { creditJournal, holds, keyUsageDaily, type JournalKind } from '../db/schema/index.ts'
import { fundedAccount, testDrivers, useTestDatabase } from '../db/testing.ts'
import { GroupCommit } from './group-commit.ts'
import { getHold, placeHold, placeHolds, releaseExpiredHolds, releaseHold, settleHold, settleHolds, type GenerationRecord } from './holds.ts'
import { creditsSummary, recomputeBalance } from './ledger.ts'

const IN_A_MINUTE = () => new Date(Date.now() + 60_000)

function generation(overrides: Partial<GenerationRecord> = {}): GenerationRecord {
  return {
    id: `gen-${randomUUID()}`,
    model: 'test/echo',
    providerPeerId: '12D3KooWTestProvider',
    promptTokens: 1000,
    completionTokens: 500,
    timeToFirstTokenMs: 120,
    durationMs: 900,
    finishReason: 'stop',
    status: 'completed',
    ...overrides,
  }
}

async function journal(db: Database, accountId: string): Promise<{ kind: JournalKind; amount: bigint }[]> {
  return db.select({ kind: creditJournal.kind, amount: creditJournal.amount }).from(creditJournal).where(eq(creditJournal.accountId, accountId)).orderBy(creditJournal.id)
}

/** balance == recomputed from the journal == deposits − charges − open holds, and never negative. */
async function expectConserved(db: Database, accountId: string, deposited: bigint): Promise<bigint> {
  const balance = (await getAccount(db, accountId))!.balance
  expect(balance).toBeGreaterThanOrEqual(0n)
  expect(await recomputeBalance(db, accountId)).toBe(balance)
  const [totals] = await db
    .select({
      charged: sql`coalesce(sum(${holds.charged}), 0)::bigint`.mapWith(BigInt),
      open: sql`coalesce(sum(${holds.amount}) FILTER (WHERE ${holds.status} = 'open'), 0)::bigint`.mapWith(BigInt),
    })
    .from(holds)
    .where(eq(holds.accountId, accountId))
  expect(balance).toBe(deposited - totals!.charged - totals!.open)
  const summary = (await creditsSummary(db, accountId))!
  expect(summary).toMatchObject({ deposited, used: totals!.charged, held: totals!.open, balance })
  await expectReferencesSound(db, accountId)
  return balance
}

/**
 * What the foreign keys dropped by migration 0007 checked, which the ledger's statements keep
 * by construction: each of the account's holds, generations and hold journal rows points at
 * a hold of the same account (and key), and every hold at an account that exists.
 */
async function expectReferencesSound(db: Database, accountId: string): Promise<void> {
  const rows = await db.execute(sql`SELECT
      (SELECT count(*) FROM holds h WHERE h.account_id = ${accountId} AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = h.account_id))::integer AS holds_without_account,
      (SELECT count(*) FROM generations g WHERE g.account_id = ${accountId}
        AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.id = g.hold_id AND h.account_id = g.account_id AND h.key_id = g.key_id))::integer AS generations_without_hold,
      (SELECT count(*) FROM credit_journal j WHERE j.account_id = ${accountId} AND j.hold_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.id = j.hold_id AND h.account_id = j.account_id))::integer AS journal_rows_without_hold`)
  const [counts] = (Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows) as Record<string, number>[]
  expect(counts).toEqual({ holds_without_account: 0, generations_without_hold: 0, journal_rows_without_hold: 0 })
}

describe.each(await testDrivers())('holds on %s', (driver) => {
  const test = useTestDatabase(driver)

  it('hold, charge and release conserve money', async () => {
    const { account, key } = await fundedAccount(test.db, 1_000_000n)
    const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 500_000n, deadline: IN_A_MINUTE() })
    expect(placed).toMatchObject({ ok: true, balance: 500_000n })
    await expectConserved(test.db, account.id, 1_000_000n)

    const charge = requestCost({ promptTokens: 1000, completionTokens: 500 }, { inputPerMTok: 150_000n, outputPerMTok: 600_000n })
    const done = generation()
    const settled = await settleHold(test.db, { holdId: placed.ok ? placed.hold.id : '', charge, generation: done })
    expect(settled).toEqual({ ok: true, charged: 450n, released: 499_550n, shortfall: 0n, balance: 999_550n })
    expect(await journal(test.db, account.id)).toEqual([
      { kind: 'deposit', amount: 1_000_000n },
      { kind: 'hold', amount: -500_000n },
      { kind: 'release', amount: 500_000n },
      { kind: 'charge', amount: -450n },
    ])
    expect(await getGeneration(test.db, { id: done.id, accountId: account.id })).toMatchObject({ cost: 450n, keyId: key.id, promptTokens: 1000, status: 'completed' })
    await expectConserved(test.db, account.id, 1_000_000n)
  })

  it("lists a hold's journal rows with the hold's key and the generation settled from it", async () => {
    const { account, key } = await fundedAccount(test.db, 1_000n)
    const [settled, released] = await placeHolds(test.db, [
      { accountId: account.id, keyId: key.id, amount: 300n, deadline: IN_A_MINUTE() },
      { accountId: account.id, keyId: key.id, amount: 200n, deadline: IN_A_MINUTE() },
    ])
    if (!settled?.ok || !released?.ok) throw new Error('hold refused')
    const done = generation()
    await settleHold(test.db, { holdId: settled.hold.id, charge: 120n, generation: done })
    await releaseHold(test.db, { holdId: released.hold.id })

    const entries = await listJournal(test.db, { accountId: account.id })
    expect(entries.map(({ kind, amount, keyId, holdId, generationId }) => ({ kind, amount, keyId, holdId, generationId }))).toEqual([
      { kind: 'release', amount: 200n, keyId: key.id, holdId: released.hold.id, generationId: null },
      { kind: 'charge', amount: -120n, keyId: key.id, holdId: settled.hold.id, generationId: done.id },
      { kind: 'release', amount: 300n, keyId: key.id, holdId: settled.hold.id, generationId: done.id },
      { kind: 'hold', amount: -200n, keyId: key.id, holdId: released.hold.id, generationId: null },
      { kind: 'hold', amount: -300n, keyId: key.id, holdId: settled.hold.id, generationId: null },
      { kind: 'deposit', amount: 1_000n, keyId: null, holdId: null, generationId: null },
    ])
  })

  it('places no hold for an account that does not exist, a zero hold included', async () => {
    const { key } = await fundedAccount(test.db, 10_000n)
    const accountId = randomUUID()
    for (const amount of [100n, 0n]) {
      expect(await placeHold(test.db, { accountId, keyId: key.id, amount, deadline: IN_A_MINUTE() })).toEqual({ ok: false, reason: 'insufficient_credits', balance: 0n })
    }
    expect(await test.db.select().from(holds).where(eq(holds.accountId, accountId))).toEqual([])
  })

  it('clamps a charge to its hold and records the shortfall', async () => {
    const { account, key } = await fundedAccount(test.db, 10_000n)
    const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 1_000n, deadline: IN_A_MINUTE() })
    if (!placed.ok) throw new Error('hold refused')
    const settled = await settleHold(test.db, { holdId: placed.hold.id, charge: 1_500n, generation: generation() })
    expect(settled).toEqual({ ok: true, charged: 1_000n, released: 0n, shortfall: 500n, balance: 9_000n })
    expect(await getHold(test.db, placed.hold.id)).toMatchObject({ status: 'settled', charged: 1_000n, shortfall: 500n })
    await expectConserved(test.db, account.id, 10_000n)
  })

  it('refuses a hold the balance cannot cover and changes nothing', async () => {
    const { account, key } = await fundedAccount(test.db, 100n)
    expect(await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 101n, deadline: IN_A_MINUTE() })).toEqual({
      ok: false,
      reason: 'insufficient_credits',
      balance: 100n,
    })
    expect(await test.db.select().from(holds).where(eq(holds.accountId, account.id))).toEqual([])
    await expectConserved(test.db, account.id, 100n)
  })

  it('settles or releases a hold once only', async () => {
    const { account, key } = await fundedAccount(test.db, 1_000n)
    const first = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 400n, deadline: IN_A_MINUTE() })
    const second = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 400n, deadline: IN_A_MINUTE() })
    if (!first.ok || !second.ok) throw new Error('hold refused')

    expect(await settleHold(test.db, { holdId: first.hold.id, charge: 100n, generation: generation() })).toMatchObject({ ok: true })
    expect(await settleHold(test.db, { holdId: first.hold.id, charge: 100n, generation: generation() })).toEqual({ ok: false, reason: 'hold_not_open' })
    expect(await releaseHold(test.db, { holdId: first.hold.id })).toEqual({ ok: false, reason: 'hold_not_open' })

    expect(await releaseHold(test.db, { holdId: second.hold.id })).toEqual({ ok: true, released: 400n, balance: 900n })
    expect(await releaseHold(test.db, { holdId: second.hold.id })).toEqual({ ok: false, reason: 'hold_not_open' })
    expect(await settleHold(test.db, { holdId: second.hold.id, charge: 1n, generation: generation() })).toEqual({ ok: false, reason: 'hold_not_open' })
    await expectConserved(test.db, account.id, 1_000n)
  })

  it('runs a free request through a zero hold without journal rows', async () => {
    const { account, key } = await fundedAccount(test.db, 0n)
    const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 0n, deadline: IN_A_MINUTE() })
    if (!placed.ok) throw new Error('hold refused')
    const done = generation()
    expect(await settleHold(test.db, { holdId: placed.hold.id, charge: 0n, generation: done })).toEqual({ ok: true, charged: 0n, released: 0n, shortfall: 0n, balance: 0n })
    expect(await journal(test.db, account.id)).toEqual([])
    expect(await getGeneration(test.db, { id: done.id, accountId: account.id })).toMatchObject({ cost: 0n })
  })

  it('lets exactly as many of 50 concurrent holds through as the balance covers', async () => {
    const fits = 17
    const amount = 1_000n
    const deposited = BigInt(fits) * amount + amount - 1n
    const { account, key } = await fundedAccount(test.db, deposited)
    const results = await Promise.all(
      Array.from({ length: 50 }, () => placeHold(test.db, { accountId: account.id, keyId: key.id, amount, deadline: IN_A_MINUTE() })),
    )
    expect(results.filter((result) => result.ok)).toHaveLength(fits)
    for (const result of results) expect(result.balance).toBeGreaterThanOrEqual(0n)
    expect(await expectConserved(test.db, account.id, deposited)).toBe(amount - 1n)
  })

  it('answers each hold of a batch as it would have been answered alone, account by account', async () => {
    const a = await fundedAccount(test.db, 100n)
    const b = await fundedAccount(test.db, 100n)
    const c = await fundedAccount(test.db, 100n)
    const hold = (who: typeof a, amount: bigint) => ({ accountId: who.account.id, keyId: who.key.id, amount, deadline: IN_A_MINUTE() })
    // a's batch total (110) does not fit, so its holds are tried one by one in order; c's fits whole.
    const results = await placeHolds(test.db, [hold(a, 60n), hold(c, 50n), hold(a, 30n), hold(b, 150n), hold(a, 20n), hold(c, 50n)])
    expect(results.map((result) => (result.ok ? `ok ${result.hold.amount}` : `refused at ${result.balance}`))).toEqual([
      'ok 60',
      'ok 50',
      'ok 30',
      'refused at 100',
      'refused at 10',
      'ok 50',
    ])
    expect(await expectConserved(test.db, a.account.id, 100n)).toBe(10n)
    expect(await expectConserved(test.db, b.account.id, 100n)).toBe(100n)
    expect(await expectConserved(test.db, c.account.id, 100n)).toBe(0n)
  })

  it('settles a batch in one statement: each hold once, usage summed per key, money conserved', async () => {
    const a = await fundedAccount(test.db, 10_000n)
    const b = await fundedAccount(test.db, 10_000n)
    const [a1, a2, b1, a3] = await placeHolds(test.db, [
      { accountId: a.account.id, keyId: a.key.id, amount: 1_000n, deadline: IN_A_MINUTE() },
      { accountId: a.account.id, keyId: a.key.id, amount: 2_000n, deadline: IN_A_MINUTE() },
      { accountId: b.account.id, keyId: b.key.id, amount: 3_000n, deadline: IN_A_MINUTE() },
      { accountId: a.account.id, keyId: a.key.id, amount: 500n, deadline: IN_A_MINUTE() },
    ])
    if (!a1?.ok || !a2?.ok || !b1?.ok || !a3?.ok) throw new Error('hold refused')
    await releaseHold(test.db, { holdId: a3.hold.id })

    const settled = await settleHolds(test.db, [
      { holdId: a1.hold.id, charge: 400n, generation: generation({ promptTokens: 10, completionTokens: 20 }) },
      { holdId: a2.hold.id, charge: 2_500n, generation: generation({ promptTokens: 30, completionTokens: 40 }) },
      { holdId: b1.hold.id, charge: 0n, generation: generation({ promptTokens: 1, completionTokens: 0 }) },
      { holdId: a3.hold.id, charge: 1n, generation: generation() },
    ])
    expect(settled).toEqual([
      { ok: true, charged: 400n, released: 600n, shortfall: 0n, balance: 10_000n - 400n - 2_000n },
      { ok: true, charged: 2_000n, released: 0n, shortfall: 500n, balance: 10_000n - 400n - 2_000n },
      { ok: true, charged: 0n, released: 3_000n, shortfall: 0n, balance: 10_000n },
      { ok: false, reason: 'hold_not_open' },
    ])
    await expectConserved(test.db, a.account.id, 10_000n)
    await expectConserved(test.db, b.account.id, 10_000n)
    const [usage] = await test.db
      .select({ spent: keyUsageDaily.spent, requests: keyUsageDaily.requests, prompt: keyUsageDaily.promptTokens, completion: keyUsageDaily.completionTokens })
      .from(keyUsageDaily)
      .where(eq(keyUsageDaily.keyId, a.key.id))
    expect(usage).toEqual({ spent: 2_400n, requests: 2, prompt: 40, completion: 60 })
  })

  it('grants exactly what the balance covers to 60 concurrent holds sharing statements', async () => {
    const fits = 37
    const amount = 10n
    const { account, key } = await fundedAccount(test.db, BigInt(fits) * amount)
    const commit = new GroupCommit({ run: (requests: Parameters<typeof placeHolds>[1]) => placeHolds(test.db, requests), maxBatch: 16 })
    const results = await Promise.all(Array.from({ length: 60 }, () => commit.submit({ accountId: account.id, keyId: key.id, amount, deadline: IN_A_MINUTE() })))
    expect(results.filter((result) => result.ok)).toHaveLength(fits)
    expect(await expectConserved(test.db, account.id, BigInt(fits) * amount)).toBe(0n)
  })

  it('conserves money under concurrent holds, settles, releases and the reaper', async () => {
    const deposited = 1_000_000n
    const { account, key } = await fundedAccount(test.db, deposited)
    const past = new Date(Date.now() - 1_000)
    const work = Array.from({ length: 40 }, async (_, i) => {
      const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: BigInt(10_000 + i * 1_000), deadline: i % 4 === 3 ? past : IN_A_MINUTE() })
      if (!placed.ok) return
      // Some settle, some release, some are left for the reaper (which may also race the settles).
      if (i % 4 === 0) await settleHold(test.db, { holdId: placed.hold.id, charge: BigInt(i * 777), generation: generation() })
      else if (i % 4 === 1) await releaseHold(test.db, { holdId: placed.hold.id })
      else if (i % 4 === 2) await settleHold(test.db, { holdId: placed.hold.id, charge: BigInt(100_000 + i), generation: generation() })
    })
    const reaping = Array.from({ length: 5 }, () => releaseExpiredHolds(test.db, { now: new Date() }))
    await Promise.all([...work, ...reaping])
    await releaseExpiredHolds(test.db, { now: new Date() })

    await expectConserved(test.db, account.id, deposited)
    const [stillOpen] = await test.db.select({ count: sql`count(*)::integer`.mapWith(Number) }).from(holds).where(and(eq(holds.accountId, account.id), eq(holds.status, 'open'), sql`${holds.deadline} < now()`))
    expect(stillOpen!.count).toBe(0)
    // Each hold came back exactly once: one release row per hold.
    const entries = await journal(test.db, account.id)
    const placed = entries.filter((entry) => entry.kind === 'hold').length
    expect(placed).toBeGreaterThan(20)
    expect(entries.filter((entry) => entry.kind === 'release')).toHaveLength(placed)
  })

  it('reaps only open holds past their deadline', async () => {
    const { account, key } = await fundedAccount(test.db, 10_000n)
    const now = new Date('2030-01-01T00:00:00Z')
    const place = async (amount: bigint, deadline: Date) => {
      const placed = await placeHold(test.db, { accountId: account.id, keyId: key.id, amount, deadline })
      if (!placed.ok) throw new Error('hold refused')
      return placed.hold
    }
    const expired = await place(1_000n, new Date(now.getTime() - 1))
    const due = await place(2_000n, now)
    const live = await place(3_000n, new Date(now.getTime() + 1))
    const settled = await place(500n, new Date(now.getTime() - 1))
    await settleHold(test.db, { holdId: settled.id, charge: 200n, generation: generation() })

    // Open holds of earlier tests expire by 2030 too; look at this account's.
    const reaped = (await releaseExpiredHolds(test.db, { now })).filter((hold) => hold.accountId === account.id)
    expect(reaped.map((hold) => hold.id).sort()).toEqual([expired.id, due.id].sort())
    expect(await getHold(test.db, expired.id)).toMatchObject({ status: 'released', charged: null })
    expect(await getHold(test.db, live.id)).toMatchObject({ status: 'open' })
    expect(await getHold(test.db, settled.id)).toMatchObject({ status: 'settled', charged: 200n })
    expect(await releaseExpiredHolds(test.db, { now })).toEqual([])
    expect(await expectConserved(test.db, account.id, 10_000n)).toBe(10_000n - 3_000n - 200n)
  })

  it('reaps in batches of at most `limit` holds', async () => {
    const { account, key } = await fundedAccount(test.db, 10_000n)
    const deadline = new Date('2000-01-01T00:00:00Z')
    for (let i = 0; i < 5; i++) await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 100n, deadline })
    const now = new Date('2000-01-02T00:00:00Z')
    expect(await releaseExpiredHolds(test.db, { now, limit: 3 })).toHaveLength(3)
    expect(await releaseExpiredHolds(test.db, { now, limit: 3 })).toHaveLength(2)
    await expectConserved(test.db, account.id, 10_000n)
  })
})
