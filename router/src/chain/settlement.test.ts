import { randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { pino } from 'pino'
import { inArray } from 'drizzle-orm'
import { concat, encodeAbiParameters, keccak256, parseAbiParameters, type Address, type Hex, type LocalAccount } from 'viem'
import { creditEscrowAbi } from '@agora/contracts'
import { encodeReceipt, operatorFee, signReceipt } from '@agora/protocol'
import { placeHold, settleHold } from '../billing/holds.ts'
import { adjust } from '../billing/ledger.ts'
import { migrate, openDatabase, type Database } from '../db/index.ts'
import { ensureAccount, findAccountByAddress } from '../db/queries/accounts.ts'
import { createKey } from '../db/queries/keys.ts'
import { batchGenerations, getBatch } from '../db/queries/settlements.ts'
import { generations, settlementBatches } from '../db/schema/index.ts'
import { createThrowawayDatabase, randomAddress, testDrivers, useTestDatabase } from '../db/testing.ts'
import { SettlementTree, settlementLeaf } from './merkle.ts'
import { Settler, type SettlementStep } from './settlement.ts'
import { useTestChain, TEST_THAW_SECONDS, type TestActor, type TestChain } from './testing.ts'
import { EscrowWatcher } from './watcher.ts'

const log = pino({ level: 'silent' })

function settlerOn(
  chain: TestChain,
  db: Database,
  { confirmations = 1, feeBps = 0, holder = 'router-a', maxGenerations }: { confirmations?: number; feeBps?: number; holder?: string; maxGenerations?: number } = {},
): Settler {
  const config = chain.config()
  return new Settler({
    publicClient: chain.operator.publicClient,
    walletClient: chain.operator.walletClient,
    db,
    chainId: config.chainId,
    escrow: config.escrow,
    confirmations,
    feeBps,
    intervalMs: 3_600_000,
    threshold: 10n ** 15n,
    holder,
    pollIntervalMs: 20,
    ...(maxGenerations ? { maxGenerations } : {}),
    log,
  })
}

/** Deposits on chain and lets a watcher credit the ledger (and tell `settler`, as the router's does). */
async function deposited(chain: TestChain, db: Database, user: TestActor, amount: bigint, settler?: Settler): Promise<string> {
  await chain.deposit(user, amount)
  const config = chain.config()
  const watcher = new EscrowWatcher({
    db,
    client: chain.testClient,
    chainId: config.chainId,
    escrow: config.escrow,
    deploymentBlock: config.deploymentBlock,
    confirmations: 1,
    maxBlockRange: 10_000n,
    log,
    ...(settler ? { onApplied: (events) => settler.wake(events) } : {}),
  })
  await watcher.init()
  await watcher.catchUp()
  return (await findAccountByAddress(db, user.address))!.id
}

interface Usage {
  cost: bigint
  provider: TestActor
  /** Whether the provider signed a receipt; true by default. */
  signed?: boolean
}

/** Serves requests through the ledger as the relay does: a hold, then a settle recording the generation. */
async function charge(db: Database, accountId: string, usages: Usage[]): Promise<string[]> {
  const { key } = await createKey(db, { accountId, name: 'usage' })
  const ids: string[] = []
  for (const { cost, provider, signed = true } of usages) {
    const id = `gen-${randomBytes(6).toString('hex')}`
    const providerPeerId = `peer-${provider.address.slice(2, 10)}`
    const placed = await placeHold(db, { accountId, keyId: key.id, amount: cost, deadline: new Date(Date.now() + 60_000) })
    if (!placed.ok) throw new Error('hold refused')
    // One prompt token priced at the whole cost, so that the receipt's `requestCost` is the cost.
    const receipt = signed
      ? await signReceipt({
          account: provider.walletClient.account as LocalAccount,
          receipt: { generationId: id, routerPeerId: 'router', providerPeerId, model: 'dev/chat', promptTokens: 1, completionTokens: 0, inputPerMTok: cost * 1_000_000n, outputPerMTok: 0n, cost, timestamp: Date.now() },
        })
      : undefined
    await settleHold(db, {
      holdId: placed.hold.id,
      charge: cost,
      generation: {
        id,
        model: 'dev/chat',
        providerPeerId,
        payout: provider.address,
        promptTokens: 1,
        completionTokens: 0,
        timeToFirstTokenMs: 1,
        durationMs: 2,
        finishReason: 'stop',
        status: 'completed',
        ...(receipt ? { receipt: encodeReceipt(receipt) } : {}),
      },
    })
    ids.push(id)
  }
  return ids
}

async function settledEvents(chain: TestChain) {
  return chain.testClient.getContractEvents({ address: chain.escrow, abi: creditEscrowAbi, eventName: 'BatchSettled', fromBlock: chain.deploymentBlock })
}

async function operatorNonce(chain: TestChain): Promise<number> {
  return chain.testClient.getTransactionCount({ address: chain.operator.address })
}

async function batchOf(db: Database, ids: string[]): Promise<Array<bigint | null>> {
  const rows = await db.select({ batch: generations.settlementBatchId }).from(generations).where(inArray(generations.id, ids))
  return rows.map((row) => row.batch)
}

function confirmed(step: SettlementStep) {
  expect(step.kind).toBe('confirmed')
  return (step as Extract<SettlementStep, { kind: 'confirmed' }>).batch
}

describe.each(await testDrivers())('settlement on %s', (driver) => {
  const chain = useTestChain()
  const test = useTestDatabase(driver)

  it('settles charged usage exactly: debits per user, credits per payout less the fee rounded down, the fee to the treasury', async () => {
    const [alice, bob] = chain.users as [TestActor, TestActor]
    const [p0, p1] = chain.providers as [TestActor, TestActor]
    const aliceId = await deposited(chain, test.db, alice, 10_000_000n)
    const bobId = await deposited(chain, test.db, bob, 1_000_000n)
    const ids = [
      ...(await charge(test.db, aliceId, [
        { cost: 1_001n, provider: p0 },
        { cost: 2_002n, provider: p0, signed: false },
        { cost: 3_003n, provider: p1 },
      ])),
      ...(await charge(test.db, bobId, [{ cost: 777n, provider: p1 }])),
    ]
    const free = await charge(test.db, bobId, [{ cost: 0n, provider: p0 }])
    const before = { alice: await chain.escrowOf(alice.address), bob: await chain.escrowOf(bob.address), p0: await chain.escrowOf(p0.address), p1: await chain.escrowOf(p1.address), treasury: await chain.escrowOf(chain.treasury.address) }

    const batch = confirmed(await settlerOn(chain, test.db, { feeBps: 250 }).settle())
    const fees = { p0: operatorFee(3_003n, 250), p1: operatorFee(3_780n, 250) }
    expect(fees).toEqual({ p0: 75n, p1: 94n })
    expect(batch).toMatchObject({ status: 'confirmed', debited: 6_783n, credited: 6_783n - 169n, fee: 169n, feeBps: 250, generationCount: 4 })
    expect((await chain.escrowOf(alice.address)).balance).toBe(before.alice.balance - 6_006n)
    expect((await chain.escrowOf(bob.address)).balance).toBe(before.bob.balance - 777n)
    expect((await chain.escrowOf(p0.address)).earnings).toBe(before.p0.earnings + 3_003n - fees.p0)
    expect((await chain.escrowOf(p1.address)).earnings).toBe(before.p1.earnings + 3_780n - fees.p1)
    expect((await chain.escrowOf(chain.treasury.address)).earnings).toBe(before.treasury.earnings + 169n)
    expect(await batchOf(test.db, ids)).toEqual(ids.map(() => batch.id))
    expect(await batchOf(test.db, free)).toEqual([null])
    const landed = (await settledEvents(chain)).find((event) => event.args.batchId === batch.id)!
    expect(landed.args).toMatchObject({ receiptsRoot: batch.receiptsRoot, debited: 6_783n, fee: 169n, treasury: chain.treasury.address })
    expect(landed.transactionHash).toBe(batch.txHash)

    // Nothing is left to settle.
    expect(await settlerOn(chain, test.db).settle()).toEqual({ kind: 'idle', reason: 'nothing-settleable' })

    // Every generation's leaf is proven against the root the escrow stores, with a few lines of viem.
    const root = await chain.testClient.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'receiptsRootOf', args: [batch.id] })
    const rows = await batchGenerations(test.db, batch.id)
    const tree = new SettlementTree(rows.map((row) => settlementLeaf(row, batch.treasury as Address)))
    for (const row of rows) {
      const leaf = settlementLeaf(row, batch.treasury as Address)
      const { proof } = tree.proof(row.id)!
      const leafHash = keccak256(keccak256(encodeAbiParameters(parseAbiParameters('string, address, address, uint256, bytes32'), [leaf.generationId, leaf.account, leaf.payout, leaf.cost, leaf.receiptHash])))
      expect(proof.reduce((node: Hex, sibling) => keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node])), leafHash)).toBe(root)
    }
  })

  it('resumes a batch stored before anything was sent: one transaction, one batch', async () => {
    const [alice] = chain.users as [TestActor]
    const accountId = (await findAccountByAddress(test.db, alice.address))!.id
    const ids = await charge(test.db, accountId, [{ cost: 500n, provider: chain.providers[0]! }])
    const nonce = await operatorNonce(chain)
    const crashed = await settlerOn(chain, test.db).build()
    if (!('batch' in crashed)) throw new Error(`nothing built: ${crashed.reason}`)
    expect(crashed.batch.status).toBe('pending')
    expect(await batchOf(test.db, ids)).toEqual([crashed.batch.id])

    // The restarted router (its lease expired, here the same holder) finds the batch stored and sends it.
    const batch = confirmed(await settlerOn(chain, test.db).settle())
    expect(batch.id).toBe(crashed.batch.id)
    expect(await operatorNonce(chain)).toBe(nonce + 1)
    expect((await settledEvents(chain)).filter((event) => event.args.batchId === batch.id)).toHaveLength(1)
  })

  it('resumes a batch whose transaction was stored but not broadcast: the same bytes, the same hash', async () => {
    const [alice] = chain.users as [TestActor]
    const accountId = (await findAccountByAddress(test.db, alice.address))!.id
    await charge(test.db, accountId, [{ cost: 600n, provider: chain.providers[1]! }])
    const nonce = await operatorNonce(chain)
    const crashed = settlerOn(chain, test.db)
    const built = await crashed.build()
    if (!('batch' in built)) throw new Error('nothing built')
    const signed = await crashed.sign(built.batch)
    if (signed.kind !== 'signed') throw new Error(signed.reason)
    expect(signed.batch).toMatchObject({ status: 'submitted', txHash: expect.stringMatching(/^0x/), rawTransaction: expect.stringMatching(/^0x/) })
    await expect(chain.testClient.getTransaction({ hash: signed.batch.txHash as Hex })).rejects.toThrow()

    const batch = confirmed(await settlerOn(chain, test.db).settle())
    expect(batch.txHash).toBe(signed.batch.txHash)
    expect(await operatorNonce(chain)).toBe(nonce + 1)
  })

  it('resumes a batch broadcast before its confirmations: confirmed only once deep enough, never sent twice', async () => {
    const [alice] = chain.users as [TestActor]
    const accountId = (await findAccountByAddress(test.db, alice.address))!.id
    await charge(test.db, accountId, [{ cost: 700n, provider: chain.providers[0]! }])
    const nonce = await operatorNonce(chain)
    const crashed = settlerOn(chain, test.db, { confirmations: 3 })
    let first = await crashed.step({ force: true })
    // anvil mines it at once, though its receipt may take a moment to show.
    while (first.kind === 'submitted') first = await crashed.step()
    expect(first).toMatchObject({ kind: 'confirming', confirmations: 1 })
    const { batch: sent } = first as Extract<SettlementStep, { kind: 'confirming' }>

    const restarted = settlerOn(chain, test.db, { confirmations: 3 })
    expect(await restarted.step()).toMatchObject({ kind: 'confirming', confirmations: 1 })
    await chain.testClient.mine({ blocks: 1 })
    expect(await restarted.step()).toMatchObject({ kind: 'confirming', confirmations: 2 })
    expect((await getBatch(test.db, sent.id))!.status).toBe('submitted')
    await chain.testClient.mine({ blocks: 1 })
    const batch = confirmed(await restarted.step())
    expect(batch).toMatchObject({ id: sent.id, txHash: sent.txHash })
    expect(await operatorNonce(chain)).toBe(nonce + 1)
  })

  it('discards a batch whose transaction reverted and settles its generations under the same id later', async () => {
    const [alice] = chain.users as [TestActor]
    const accountId = (await findAccountByAddress(test.db, alice.address))!.id
    const ids = await charge(test.db, accountId, [{ cost: 800n, provider: chain.providers[1]! }])
    const crashed = settlerOn(chain, test.db)
    const built = await crashed.build()
    if (!('batch' in built)) throw new Error('nothing built')
    const signed = await crashed.sign(built.batch)
    if (signed.kind !== 'signed') throw new Error(signed.reason)
    // The owner pauses before the stored transaction goes out: it is mined, and reverts.
    await chain.send(chain.owner, { functionName: 'pause' })
    const settler = settlerOn(chain, test.db)
    let step = await settler.step()
    while (step.kind === 'submitted') step = await settler.step()
    expect(step).toMatchObject({ kind: 'discarded', batchId: built.batch.id, reason: expect.stringContaining('reverted') })
    expect(await batchOf(test.db, ids)).toEqual([null])
    expect(await getBatch(test.db, built.batch.id)).toBeUndefined()
    expect(await settler.step({ force: true })).toEqual({ kind: 'idle', reason: 'paused' })

    await chain.send(chain.owner, { functionName: 'unpause' })
    const batch = confirmed(await settler.settle())
    expect(batch.id).toBe(built.batch.id)
    expect(await batchOf(test.db, ids)).toEqual([batch.id])
  })

  it('does not let older usage that no deposit backs (operator grants) hold back usage that one does', async () => {
    const granted = await ensureAccount(test.db, randomAddress())
    await adjust(test.db, { accountId: granted.id, amount: 1_000_000n, note: 'a grant, no tokens behind it' })
    const unbacked = await charge(test.db, granted.id, [1, 2, 3].map(() => ({ cost: 100n, provider: chain.providers[0]! })))
    const [alice] = chain.users as [TestActor]
    const aliceId = (await findAccountByAddress(test.db, alice.address))!.id
    const [backed] = await charge(test.db, aliceId, [{ cost: 250n, provider: chain.providers[0]! }])
    // A build looks at two generations at a time here: the grant's two oldest, then past them.
    const batch = confirmed(await settlerOn(chain, test.db, { maxGenerations: 2 }).settle())
    expect(batch).toMatchObject({ debited: 250n, generationCount: 1 })
    expect(await batchOf(test.db, [backed!])).toEqual([batch.id])
    expect(await batchOf(test.db, unbacked)).toEqual([null, null, null])
  })

  it('discards a batch the escrow refuses before sending (a withdrawal emptied the balance) and settles what still fits', async () => {
    const carol = chain.users[2]!
    const accountId = await deposited(chain, test.db, carol, 2_000n)
    const [big, small] = await charge(test.db, accountId, [
      { cost: 1_000n, provider: chain.providers[0]! },
      { cost: 500n, provider: chain.providers[0]! },
    ])
    const crashed = await settlerOn(chain, test.db).build()
    if (!('batch' in crashed)) throw new Error('nothing built')
    expect(crashed.batch.debited).toBe(1_500n)
    // Carol withdraws everything on chain before the batch is signed (the thaw outran settlement).
    await chain.send(carol, { functionName: 'requestWithdrawal', args: [2_000n] })
    await chain.testClient.increaseTime({ seconds: TEST_THAW_SECONDS })
    await chain.send(carol, { functionName: 'withdraw' })

    const settler = settlerOn(chain, test.db)
    expect(await settler.step()).toMatchObject({ kind: 'discarded', batchId: crashed.batch.id, reason: expect.stringContaining('InsufficientBalance') })
    expect(await settler.step({ force: true })).toEqual({ kind: 'idle', reason: 'nothing-settleable' })
    expect(await batchOf(test.db, [big!, small!])).toEqual([null, null])

    // A new deposit covers the older generation only: it goes, the newer one waits.
    await deposited(chain, test.db, carol, 1_200n, settler)
    const batch = confirmed(await settler.settle())
    expect(batch).toMatchObject({ id: crashed.batch.id, debited: 1_000n })
    const rows = await test.db.select({ id: generations.id, batch: generations.settlementBatchId }).from(generations).where(inArray(generations.id, [big!, small!]))
    expect(Object.fromEntries(rows.map((row) => [row.id, row.batch]))).toEqual({ [big!]: batch.id, [small!]: null })
  })
})

describe('two routers settling on one PostgreSQL', async () => {
  const drivers = await testDrivers()
  const chain = useTestChain()

  it.runIf(drivers.includes('postgres'))('settle every generation exactly once, whoever holds the lease and even when both act at once', async () => {
    const throwaway = await createThrowawayDatabase()
    const first = await openDatabase({ url: throwaway.url })
    const second = await openDatabase({ url: throwaway.url })
    try {
      await migrate(first.db)
      const users = chain.users as [TestActor, TestActor, TestActor]
      const accounts = await Promise.all(users.map((user) => deposited(chain, first.db, user, 100_000n)))
      const costs: bigint[] = []
      const ids: string[] = []
      const serve = async (round: number) => {
        for (const [i, accountId] of accounts.entries()) {
          const cost = BigInt(100 + round * 10 + i)
          costs.push(cost)
          ids.push(...(await charge(first.db, accountId, [{ cost, provider: chain.providers[i % 2]! }])))
        }
      }
      // Different holders: the lease lets one settle. Same holder: both pass the lease and race.
      for (const holders of [
        ['router-a', 'router-b'],
        ['router-c', 'router-c'],
      ]) {
        const settlers = [settlerOn(chain, first.db, { holder: holders[0] }), settlerOn(chain, second.db, { holder: holders[1] })]
        for (let round = 0; round < 3; round++) {
          await serve(round)
          await Promise.all(settlers.map((settler) => settler.settle()))
        }
        await Promise.all(settlers.map((settler) => settler.stop()))
      }
      const batches = await first.db.select().from(settlementBatches).orderBy(settlementBatches.id)
      expect(batches.every((batch) => batch.status === 'confirmed')).toBe(true)
      expect(batches.map((batch) => batch.id)).toEqual(batches.map((_, i) => BigInt(i + 1)))
      const events = await settledEvents(chain)
      expect(events.map((event) => event.args.batchId)).toEqual(batches.map((batch) => batch.id))
      const total = costs.reduce((sum, cost) => sum + cost, 0n)
      expect(events.reduce((sum, event) => sum + event.args.debited!, 0n)).toBe(total)
      const marked = await first.db.select({ batch: generations.settlementBatchId }).from(generations).where(inArray(generations.id, ids))
      expect(marked.every((row) => row.batch !== null)).toBe(true)
      expect(batches.reduce((sum, batch) => sum + batch.generationCount, 0)).toBe(ids.length)
      for (const user of users) expect((await chain.escrowOf(user.address)).balance).toBe(100_000n - costs.filter((_, i) => i % 3 === users.indexOf(user)).reduce((s, c) => s + c, 0n))
    } finally {
      await first.close()
      await second.close()
      await throwaway.drop()
    }
  })
})
