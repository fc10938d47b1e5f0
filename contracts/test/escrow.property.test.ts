import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createPublicClient, http, maxUint256, parseGwei, type Address, type Hash, type Hex } from 'viem'
import { creditEscrowAbi } from '../src/artifacts/CreditEscrow.ts'
import { mockUsdcAbi } from '../src/artifacts/MockUSDC.ts'
import { signDepositPermit } from '../src/escrow.ts'
import { THAW_SECONDS, mined, minedRevert, useEscrowChain, type Actor } from './fixture.ts'

/**
 * Random sequences of every escrow operation from several accounts, replayed on anvil and on a
 * model. After every step the chain must equal the model for every party (escrow balances,
 * earnings, requests, wallets, allowances) and the escrow must hold exactly what it owes.
 */

const chain = useEscrowChain()
const USER_TOKENS = 40_000_000n
const INITIAL_CREDITS = 10_000_000n
const USERS = 3
const PROVIDERS = 2
const TX = { gas: 1_000_000n, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: 1n } as const

type Step =
  | { kind: 'deposit'; user: number; amount: bigint }
  | { kind: 'depositFor'; payer: number; account: number; amount: bigint }
  | { kind: 'permitDeposit'; user: number; amount: bigint }
  | { kind: 'approve'; user: number; amount: bigint }
  | { kind: 'settle'; byOperator: boolean; batchOffset: bigint; debits: { user: number; permille: bigint }[]; weights: bigint[]; feeBps: bigint; skew: bigint }
  | { kind: 'claim'; pick: number }
  | { kind: 'requestWithdrawal'; user: number; permille: bigint }
  | { kind: 'cancelWithdrawal'; pick: number }
  | { kind: 'withdraw'; pick: number }
  | { kind: 'advance'; seconds: bigint }
  | { kind: 'pause'; byOwner: boolean }
  | { kind: 'unpause'; byOwner: boolean }

const user = fc.nat({ max: USERS - 1 })
const amount = fc.oneof({ weight: 1, arbitrary: fc.constant(0n) }, { weight: 9, arbitrary: fc.bigInt({ min: 1n, max: 15_000_000n }) })
const permille = fc.bigInt({ min: 0n, max: 1100n })
/** Seconds to let pass: often right at the thaw boundary (a request made one step earlier matures exactly then). */
const seconds = fc.oneof(fc.constantFrom(THAW_SECONDS - 2n, THAW_SECONDS - 1n, THAW_SECONDS), fc.bigInt({ min: 1n, max: 2n * THAW_SECONDS }))
/** A debit as a share of the balance: mostly a part of it, sometimes all of it or more. */
const debitPermille = fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 450n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 950n, max: 1100n }) })
/** Picks, at run time, among the accounts for which a step means something (see `choose`). */
const pick = fc.nat({ max: 99 })

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deposit' as const), user, amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('depositFor' as const), payer: user, account: user, amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('permitDeposit' as const), user, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('approve' as const), user, amount: fc.oneof(amount, fc.constant(maxUint256)) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      byOperator: fc.constantFrom(true, true, true, true, false),
      batchOffset: fc.constantFrom(0n, 0n, 0n, 0n, 0n, 0n, 1n, -1n),
      debits: fc.array(fc.record({ user, permille: debitPermille }), { maxLength: 5 }),
      weights: fc.array(fc.bigInt({ min: 0n, max: 100n }), { minLength: PROVIDERS, maxLength: PROVIDERS }),
      feeBps: fc.bigInt({ min: 0n, max: 2_000n }),
      skew: fc.constantFrom(0n, 0n, 0n, 0n, 0n, 0n, 1n, -1n),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('requestWithdrawal' as const), user, permille: fc.oneof(fc.constant(1000n), permille) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelWithdrawal' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), byOwner: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpause' as const), byOwner: fc.boolean() }) },
)

/** What the chain should hold, for every party. */
interface Model {
  /** Timestamp of the block the next transaction is mined in (set explicitly, so time is exact). */
  now: bigint
  paused: boolean
  nextBatchId: bigint
  balances: Map<Address, bigint>
  earnings: Map<Address, bigint>
  requests: Map<Address, { amount: bigint; maturesAt: bigint }>
  wallets: Map<Address, bigint>
  allowances: Map<Address, bigint>
}

/**
 * One of `candidates` when any (most of the time), else one of `everyone`: steps mostly act on
 * accounts with something to claim or withdraw, and sometimes on one without.
 */
function choose<T>(pickValue: number, candidates: T[], everyone: T[]): T {
  const pool = candidates.length > 0 && pickValue % 5 !== 0 ? candidates : everyone
  return pool[pickValue % pool.length]!
}

const get = (map: Map<Address, bigint>, key: Address) => map.get(key) ?? 0n
const add = (map: Map<Address, bigint>, key: Address, delta: bigint) => map.set(key, get(map, key) + delta)

/** A planned transaction: who sends what, the error the model expects, and the model change on success. */
interface Plan {
  send: () => Promise<Hash>
  error?: string
  apply?: () => void
}

describe('CreditEscrow under random operation sequences', () => {
  it('stays solvent and moves exactly what the model moves', async () => {
    const users = chain.users
    const providers = chain.providers
    const payouts = [...providers, chain.treasury]
    const parties = [...users, ...providers, chain.treasury, chain.operator, chain.owner, chain.stranger]
    // Reads are batched into one HTTP request per check.
    const reader = createPublicClient({ chain: chain.anvil.chain, transport: http(chain.anvil.rpcUrl, { batch: true }) })

    // Every run starts with funded users who already hold credits, so that most steps have something to move.
    for (const u of users) {
      await mined(chain, u.token.write.mint([u.address, USER_TOKENS]))
      await mined(chain, u.token.write.approve([chain.escrow, maxUint256]))
      await mined(chain, u.escrow.write.deposit([INITIAL_CREDITS]))
    }
    let snapshot = await chain.testClient.snapshot()

    async function observe(): Promise<Omit<Model, 'now'>> {
      const escrowRead = (functionName: 'balanceOf' | 'earningsOf', address: Address) => reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName, args: [address] })
      const [balances, earnings, requests, wallets, allowances, nextBatchId, paused] = await Promise.all([
        Promise.all(users.map((u) => escrowRead('balanceOf', u.address))),
        Promise.all(parties.map((p) => escrowRead('earningsOf', p.address))),
        Promise.all(users.map((u) => reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'withdrawalRequestOf', args: [u.address] }))),
        Promise.all([...parties.map((p) => p.address), chain.escrow].map((a) => reader.readContract({ address: chain.token, abi: mockUsdcAbi, functionName: 'balanceOf', args: [a] }))),
        Promise.all(users.map((u) => reader.readContract({ address: chain.token, abi: mockUsdcAbi, functionName: 'allowance', args: [u.address, chain.escrow] }))),
        reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'nextBatchId' }),
        reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'paused' }),
      ])
      const [totalBalances, totalEarnings] = await Promise.all([
        reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'totalBalances' }),
        reader.readContract({ address: chain.escrow, abi: creditEscrowAbi, functionName: 'totalEarnings' }),
      ])
      const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n)
      // The invariant, from the chain alone: the escrow holds exactly what it owes.
      expect(totalBalances).toBe(sum(balances))
      expect(totalEarnings).toBe(sum(earnings))
      expect(totalBalances + totalEarnings).toBe(wallets.at(-1))
      const byAddress = <T>(actors: Actor[], values: T[]) => new Map(actors.map((a, i) => [a.address, values[i]!]))
      return {
        paused,
        nextBatchId,
        balances: byAddress(users, balances),
        earnings: byAddress(parties, earnings),
        requests: new Map(users.flatMap((u, i) => (requests[i]!.maturesAt === 0n ? [] : [[u.address, requests[i]!]]))),
        wallets: new Map([...parties.map((p, i) => [p.address, wallets[i]!] as const), [chain.escrow, wallets.at(-1)!] as const]),
        allowances: byAddress(users, allowances),
      }
    }

    /** The model as `observe` returns it: every party listed, zero where the model has nothing. */
    function expected(model: Model): Omit<Model, 'now'> {
      const all = (actors: Actor[], map: Map<Address, bigint>) => new Map(actors.map((a) => [a.address, get(map, a.address)]))
      return {
        paused: model.paused,
        nextBatchId: model.nextBatchId,
        balances: all(users, model.balances),
        earnings: all(parties, model.earnings),
        requests: new Map([...model.requests].map(([a, r]) => [a, { amount: r.amount, maturesAt: r.maturesAt }])),
        wallets: new Map([...parties.map((p) => [p.address, get(model.wallets, p.address)] as const), [chain.escrow, get(model.wallets, chain.escrow)] as const]),
        allowances: all(users, model.allowances),
      }
    }

    /** The token error the escrow's pull of `value` from `from` would revert with, if any. */
    function pull(model: Model, from: Address, value: bigint): string | undefined {
      const allowance = get(model.allowances, from)
      if (allowance < value) return 'ERC20InsufficientAllowance'
      if (get(model.wallets, from) < value) return 'ERC20InsufficientBalance'
      return undefined
    }

    function plan(model: Model, s: Exclude<Step, { kind: 'advance' }>): Plan {
      const escrowAs = (actor: Actor) => actor.escrow.write
      switch (s.kind) {
        case 'deposit':
        case 'depositFor': {
          const payer = users[s.kind === 'deposit' ? s.user : s.payer]!
          const account = users[s.kind === 'deposit' ? s.user : s.account]!
          const send = s.kind === 'deposit' ? () => escrowAs(payer).deposit([s.amount], TX) : () => escrowAs(payer).depositFor([account.address, s.amount], TX)
          const error = model.paused ? 'EnforcedPause' : s.amount === 0n ? 'ZeroAmount' : pull(model, payer.address, s.amount)
          return { send, error, apply: () => deposit(model, payer.address, account.address, s.amount) }
        }
        case 'permitDeposit': {
          const payer = users[s.user]!
          const send = async () => {
            const args = await signDepositPermit({ ...payer, token: chain.token, escrow: chain.escrow, amount: s.amount, deadline: model.now + 3600n })
            return escrowAs(payer).depositWithPermit(args, TX)
          }
          if (model.paused) return { send, error: 'EnforcedPause' }
          if (s.amount === 0n) return { send, error: 'ZeroAmount' }
          // The permit sets the allowance to exactly the amount, which the deposit then spends.
          const error = get(model.wallets, payer.address) < s.amount ? 'ERC20InsufficientBalance' : undefined
          return {
            send,
            error,
            apply: () => {
              model.allowances.set(payer.address, s.amount)
              deposit(model, payer.address, payer.address, s.amount)
            },
          }
        }
        case 'approve': {
          const owner = users[s.user]!
          return { send: () => owner.token.write.approve([chain.escrow, s.amount], TX), apply: () => model.allowances.set(owner.address, s.amount) }
        }
        case 'settle': {
          const caller = s.byOperator ? chain.operator : chain.stranger
          const batchId = model.nextBatchId + s.batchOffset
          const debits = s.debits.map((d) => ({ account: users[d.user]!.address, amount: (get(model.balances, users[d.user]!.address) * d.permille) / 1000n }))
          const debited = debits.reduce((sum, d) => sum + d.amount, 0n)
          const fee = (debited * s.feeBps) / 10_000n
          const totalWeight = s.weights.reduce((a, b) => a + b, 0n)
          const credits = providers.map((p, i) => ({ payout: p.address, amount: totalWeight === 0n ? 0n : ((debited - fee) * s.weights[i]!) / totalWeight }))
          credits[0]!.amount += debited - fee - credits.reduce((sum, c) => sum + c.amount, 0n)
          const skewedFee = fee + s.skew < 0n ? fee + 1n : fee + s.skew
          const send = () => escrowAs(caller).settle([batchId, `0x${batchId.toString(16).padStart(64, '0')}` as Hex, debits, credits, skewedFee], TX)
          if (!s.byOperator) return { send, error: 'NotOperator' }
          if (model.paused) return { send, error: 'EnforcedPause' }
          if (batchId !== model.nextBatchId) return { send, error: 'UnexpectedBatchId' }
          const left = new Map(model.balances)
          for (const d of debits) {
            if (get(left, d.account) < d.amount) return { send, error: 'InsufficientBalance' }
            add(left, d.account, -d.amount)
          }
          if (skewedFee !== fee) return { send, error: 'SettlementImbalance' }
          return {
            send,
            apply: () => {
              model.balances = left
              for (const c of credits) add(model.earnings, c.payout, c.amount)
              add(model.earnings, chain.treasury.address, fee)
              model.nextBatchId += 1n
            },
          }
        }
        case 'claim': {
          const claimer = choose(s.pick, parties.filter((p) => get(model.earnings, p.address) > 0n), [...payouts, users[0]])
          const earned = get(model.earnings, claimer.address)
          const send = () => escrowAs(claimer).claim(TX)
          if (earned === 0n) return { send, error: 'NothingToClaim' }
          return { send, apply: () => (model.earnings.set(claimer.address, 0n), transfer(model, chain.escrow, claimer.address, earned)) }
        }
        case 'requestWithdrawal': {
          const account = users[s.user]!
          const balance = get(model.balances, account.address)
          const requested = (balance * s.permille) / 1000n
          const send = () => escrowAs(account).requestWithdrawal([requested], TX)
          if (requested === 0n) return { send, error: 'ZeroAmount' }
          if (requested > balance) return { send, error: 'InsufficientBalance' }
          return { send, apply: () => model.requests.set(account.address, { amount: requested, maturesAt: model.now + THAW_SECONDS }) }
        }
        case 'cancelWithdrawal': {
          const account = choose(s.pick, users.filter((u) => model.requests.has(u.address)), users)
          const send = () => escrowAs(account).cancelWithdrawal(TX)
          if (!model.requests.has(account.address)) return { send, error: 'NoWithdrawalRequest' }
          return { send, apply: () => model.requests.delete(account.address) }
        }
        case 'withdraw': {
          const account = choose(s.pick, users.filter((u) => model.requests.has(u.address)), users)
          const request = model.requests.get(account.address)
          const send = () => escrowAs(account).withdraw(TX)
          if (!request) return { send, error: 'NoWithdrawalRequest' }
          if (model.now < request.maturesAt) return { send, error: 'WithdrawalNotMatured' }
          const paid = request.amount < get(model.balances, account.address) ? request.amount : get(model.balances, account.address)
          return {
            send,
            apply: () => {
              model.requests.delete(account.address)
              add(model.balances, account.address, -paid)
              transfer(model, chain.escrow, account.address, paid)
            },
          }
        }
        case 'pause':
        case 'unpause': {
          const caller = s.byOwner ? chain.owner : chain.stranger
          const send = () => (s.kind === 'pause' ? escrowAs(caller).pause(TX) : escrowAs(caller).unpause(TX))
          if (!s.byOwner) return { send, error: 'OwnableUnauthorizedAccount' }
          if (s.kind === 'pause' && model.paused) return { send, error: 'EnforcedPause' }
          if (s.kind === 'unpause' && !model.paused) return { send, error: 'ExpectedPause' }
          return { send, apply: () => (model.paused = s.kind === 'pause') }
        }
      }
    }

    function transfer(model: Model, from: Address, to: Address, value: bigint) {
      add(model.wallets, from, -value)
      add(model.wallets, to, value)
    }

    function deposit(model: Model, payer: Address, account: Address, value: bigint) {
      if (get(model.allowances, payer) !== maxUint256) add(model.allowances, payer, -value)
      transfer(model, payer, chain.escrow, value)
      add(model.balances, account, value)
    }

    let runs = 0
    /** How often each step kind succeeded or failed with each error, to show what the runs covered. */
    const outcomes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 20, size: 'max' }), async (sequence) => {
        await chain.testClient.revert({ id: snapshot })
        snapshot = await chain.testClient.snapshot()
        runs++
        const initial = await observe()
        const model: Model = { ...initial, now: (await chain.testClient.getBlock()).timestamp + 1n }
        for (const s of sequence) {
          if (s.kind === 'advance') {
            model.now += s.seconds
            continue
          }
          const { send, error, apply } = plan(model, s)
          await chain.testClient.setNextBlockTimestamp({ timestamp: model.now })
          const outcome = `${s.kind}:${error ?? 'ok'}`
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
          if (error) {
            expect((await minedRevert(chain, send())).errorName, `${s.kind} should revert`).toBe(error)
          } else {
            await mined(chain, send())
            apply?.()
          }
          model.now += 1n
          expect(await observe()).toEqual(expected(model))
        }
      }),
      { numRuns: 20 },
    )
    console.log(`${runs} runs: ${[...outcomes].sort().map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`)
  }, 300_000)
})
