import { describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { eq } from 'drizzle-orm'
import { creditsSummary, recomputeBalance } from '../billing/ledger.ts'
import { migrate, openDatabase, type Database } from '../db/index.ts'
import { findAccountByAddress } from '../db/queries/accounts.ts'
import { getWithdrawalRequest } from '../db/queries/chain.ts'
import { createThrowawayDatabase, randomAddress, testDrivers, useTestDatabase } from '../db/testing.ts'
import { creditJournal } from '../db/schema/index.ts'
import { placeHold } from '../billing/holds.ts'
import { createKey } from '../db/queries/keys.ts'
import { useTestChain, TEST_THAW_SECONDS, type TestChain } from './testing.ts'
import { EscrowWatcher } from './watcher.ts'

const log = pino({ level: 'silent' })

function watcherOn(chain: TestChain, db: Database, overrides: { confirmations?: number; maxBlockRange?: bigint } = {}) {
  const config = chain.config()
  return new EscrowWatcher({
    db,
    client: chain.testClient,
    chainId: config.chainId,
    escrow: config.escrow,
    deploymentBlock: config.deploymentBlock,
    confirmations: overrides.confirmations ?? 1,
    maxBlockRange: overrides.maxBlockRange ?? 1_000n,
    log,
  })
}

async function balanceOf(db: Database, address: string): Promise<bigint> {
  return (await findAccountByAddress(db, address))?.balance ?? 0n
}

describe.each(await testDrivers())('escrow watcher on %s', (driver) => {
  const chain = useTestChain()
  const test = useTestDatabase(driver)

  it('credits a deposit once, creating the account, and never before its confirmations', async () => {
    const user = chain.users[0]!
    const watcher = watcherOn(chain, test.db, { confirmations: 3 })
    await watcher.init()
    await watcher.catchUp()
    await chain.deposit(user, 5_000_000n)
    // Mined in the newest block: 1 confirmation of 3.
    await watcher.catchUp()
    expect(await watcher.scan()).toMatchObject({ kind: 'waiting' })
    expect(await findAccountByAddress(test.db, user.address)).toBeUndefined()
    await chain.testClient.mine({ blocks: 1 })
    await watcher.catchUp()
    expect(await findAccountByAddress(test.db, user.address)).toBeUndefined()
    await chain.testClient.mine({ blocks: 1 })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(5_000_000n)

    // Scanning on, and a new watcher from the same cursor (a restart), credit nothing more.
    await chain.testClient.mine({ blocks: 5 })
    await watcher.catchUp()
    const restarted = watcherOn(chain, test.db, { confirmations: 3 })
    await restarted.init()
    await restarted.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(5_000_000n)
    const account = (await findAccountByAddress(test.db, user.address))!
    const deposits = await test.db.select().from(creditJournal).where(eq(creditJournal.accountId, account.id))
    expect(deposits).toHaveLength(1)
    expect(deposits[0]).toMatchObject({ kind: 'deposit', amount: 5_000_000n, ref: expect.stringMatching(/^0x[0-9a-f]{64}:\d+$/) })
  })

  it('credits depositFor to the named account, across ranges smaller than the backlog', async () => {
    const payer = chain.users[1]!
    const beneficiaries = [randomAddress(), randomAddress(), randomAddress()]
    for (const [i, address] of beneficiaries.entries()) await chain.deposit(payer, BigInt(i + 1) * 1_000_000n, address as `0x${string}`)
    const watcher = watcherOn(chain, test.db, { maxBlockRange: 2n })
    await watcher.init()
    await watcher.catchUp()
    for (const [i, address] of beneficiaries.entries()) expect(await balanceOf(test.db, address)).toBe(BigInt(i + 1) * 1_000_000n)
    expect(await findAccountByAddress(test.db, payer.address)).toBeUndefined()
  })

  it('reserves a withdrawal request, gives it back on cancel, and takes exactly what was paid out', async () => {
    const user = chain.users[2]!
    const watcher = watcherOn(chain, test.db)
    await watcher.init()
    await chain.deposit(user, 10_000_000n)
    await watcher.catchUp()
    const account = (await findAccountByAddress(test.db, user.address))!
    expect(account.balance).toBe(10_000_000n)

    await chain.send(user, { functionName: 'requestWithdrawal', args: [4_000_000n] })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(6_000_000n)
    expect(await getWithdrawalRequest(test.db, account.id)).toMatchObject({ amount: 4_000_000n, reserved: 4_000_000n })

    await chain.send(user, { functionName: 'cancelWithdrawal' })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(10_000_000n)
    expect(await getWithdrawalRequest(test.db, account.id)).toBeUndefined()

    // A second request replaces the first: its reservation comes back before the new one is taken.
    await chain.send(user, { functionName: 'requestWithdrawal', args: [2_000_000n] })
    await chain.send(user, { functionName: 'requestWithdrawal', args: [3_000_000n] })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(7_000_000n)

    // While requested, the reserved credits cannot be held for requests.
    const { key } = await createKey(test.db, { accountId: account.id, name: 'spender' })
    expect(await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: 7_000_001n, deadline: new Date(Date.now() + 60_000) })).toMatchObject({ ok: false })

    await chain.testClient.increaseTime({ seconds: TEST_THAW_SECONDS })
    await chain.send(user, { functionName: 'withdraw' })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(7_000_000n)
    expect((await chain.escrowOf(user.address)).balance).toBe(7_000_000n)
    expect(await getWithdrawalRequest(test.db, account.id)).toBeUndefined()
    expect(await recomputeBalance(test.db, account.id)).toBe(7_000_000n)
    expect(await creditsSummary(test.db, account.id)).toMatchObject({ deposited: 10_000_000n, adjusted: -3_000_000n, balance: 7_000_000n })
  })

  it('takes what a withdrawal paid beyond the reservation, down to zero', async () => {
    const user = chain.users[0]!
    const watcher = watcherOn(chain, test.db)
    await watcher.init()
    await chain.deposit(user, 3_000_000n)
    await watcher.catchUp()
    const account = (await findAccountByAddress(test.db, user.address))!
    // A request in flight holds all but 1 USD when the withdrawal request of 3 is seen: 1 is reserved.
    const { key } = await createKey(test.db, { accountId: account.id, name: 'in flight' })
    expect(await placeHold(test.db, { accountId: account.id, keyId: key.id, amount: account.balance - 1_000_000n, deadline: new Date(Date.now() + 60_000) })).toMatchObject({ ok: true })
    await chain.send(user, { functionName: 'requestWithdrawal', args: [3_000_000n] })
    await watcher.catchUp()
    expect(await getWithdrawalRequest(test.db, account.id)).toMatchObject({ amount: 3_000_000n, reserved: 1_000_000n })
    expect(await balanceOf(test.db, user.address)).toBe(0n)

    // Nothing was settled, so the escrow pays all 3: 1 was reserved and nothing else is left to take.
    await chain.testClient.increaseTime({ seconds: TEST_THAW_SECONDS })
    await chain.send(user, { functionName: 'withdraw' })
    await watcher.catchUp()
    expect(await balanceOf(test.db, user.address)).toBe(0n)
    expect(await recomputeBalance(test.db, account.id)).toBe(0n)
    expect(await getWithdrawalRequest(test.db, account.id)).toBeUndefined()
  })
})

describe('two routers on one PostgreSQL', async () => {
  const drivers = await testDrivers()
  const chain = useTestChain()

  it.runIf(drivers.includes('postgres'))('credit every deposit exactly once while both scan at once', async () => {
    const throwaway = await createThrowawayDatabase()
    const first = await openDatabase({ url: throwaway.url })
    const second = await openDatabase({ url: throwaway.url })
    try {
      await migrate(first.db)
      const watchers = [watcherOn(chain, first.db, { maxBlockRange: 3n }), watcherOn(chain, second.db, { maxBlockRange: 3n })]
      await Promise.all(watchers.map((watcher) => watcher.init()))
      const users = chain.users
      const amounts = [1_000_001n, 2_000_002n, 3_000_003n, 4_000_004n, 5_000_005n, 6_000_006n]
      const scanning = (async () => {
        for (let i = 0; i < 40; i++) await Promise.all(watchers.map((watcher) => watcher.scan()))
      })()
      for (const [i, amount] of amounts.entries()) await chain.deposit(users[i % users.length]!, amount)
      await scanning
      await Promise.all(watchers.map((watcher) => watcher.catchUp()))
      const expected = new Map<string, bigint>()
      for (const [i, amount] of amounts.entries()) {
        const address = users[i % users.length]!.address.toLowerCase()
        expected.set(address, (expected.get(address) ?? 0n) + amount)
      }
      for (const [address, amount] of expected) {
        expect(await balanceOf(first.db, address)).toBe(amount)
        const account = (await findAccountByAddress(first.db, address))!
        const rows = await first.db.select().from(creditJournal).where(eq(creditJournal.accountId, account.id))
        expect(rows.filter((row) => row.kind === 'deposit')).toHaveLength(amounts.filter((_, i) => users[i % users.length]!.address.toLowerCase() === address).length)
      }
    } finally {
      await first.close()
      await second.close()
      await throwaway.drop()
    }
  })
})
