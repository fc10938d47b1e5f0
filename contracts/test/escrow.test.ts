import { describe, expect, it } from 'vitest'
import { getAddress, zeroAddress, zeroHash, type Address, type Hex } from 'viem'
import { creditEscrowAbi, creditEscrowBytecode } from '../src/artifacts/CreditEscrow.ts'
import { signDepositPermit, type Credit, type Debit } from '../src/escrow.ts'
import { THAW_SECONDS, deposited, eventsOf, expectRevert, fund, mined, minedRevert, useEscrowChain, type Actor } from './fixture.ts'

const chain = useEscrowChain()
const ROOT = `0x${'ab'.repeat(32)}` as Hex
const MIN_THAW = 60n
const MAX_THAW = 30n * 24n * 3600n

function debit(actor: Actor, amount: bigint): Debit {
  return { account: actor.address, amount }
}

function credit(actor: Actor, amount: bigint): Credit {
  return { payout: actor.address, amount }
}

async function settle(batchId: bigint, debits: Debit[], credits: Credit[], fee: bigint, root: Hex = ROOT) {
  return mined(chain, chain.operator.escrow.write.settle([batchId, root, debits, credits, fee]))
}

async function deployEscrow(args: readonly [Address, Address, Address, Address, bigint]) {
  return mined(chain, chain.owner.walletClient.deployContract({ abi: creditEscrowAbi, bytecode: creditEscrowBytecode, args }))
}

async function latestTimestamp(): Promise<bigint> {
  return (await chain.testClient.getBlock()).timestamp
}

describe('deployment', () => {
  it('holds the token and starts with the configured roles, thaw period and batch 1', async () => {
    const escrow = chain.read.escrow
    expect(await escrow.read.token()).toBe(chain.token)
    expect(await escrow.read.owner()).toBe(chain.owner.address)
    expect(await escrow.read.operator()).toBe(chain.operator.address)
    expect(await escrow.read.treasury()).toBe(chain.treasury.address)
    expect(await escrow.read.thawPeriod()).toBe(THAW_SECONDS)
    expect(await escrow.read.nextBatchId()).toBe(1n)
    expect(await escrow.read.paused()).toBe(false)
    expect(await escrow.read.totalBalances()).toBe(0n)
    expect(await escrow.read.totalEarnings()).toBe(0n)
    expect([await escrow.read.MIN_THAW_PERIOD(), await escrow.read.MAX_THAW_PERIOD(), await escrow.read.TOKEN_DECIMALS()]).toEqual([MIN_THAW, MAX_THAW, 6])
  })

  it('emits an event for each role and the thaw period it sets', async () => {
    const receipt = await deployEscrow([chain.token, chain.owner.address, chain.operator.address, chain.treasury.address, THAW_SECONDS])
    expect(eventsOf(receipt)).toEqual([
      { eventName: 'OwnershipTransferred', args: { previousOwner: zeroAddress, newOwner: chain.owner.address } },
      { eventName: 'OperatorChanged', args: { previousOperator: zeroAddress, newOperator: chain.operator.address } },
      { eventName: 'TreasuryChanged', args: { previousTreasury: zeroAddress, newTreasury: chain.treasury.address } },
      { eventName: 'ThawPeriodChanged', args: { previousThawPeriod: 0n, newThawPeriod: THAW_SECONDS } },
    ])
  })

  it('refuses a token without 6 decimals', async () => {
    // Code that answers every call with 18: a token with 18 decimals as far as the escrow can tell.
    const token18 = getAddress('0x00000000000000000000000000000000000e1812')
    await chain.testClient.setCode({ address: token18, bytecode: '0x601260005260206000f3' })
    await expectRevert(deployEscrow([token18, chain.owner.address, chain.operator.address, chain.treasury.address, THAW_SECONDS]), 'UnsupportedToken', [token18, 18])
  })

  it('refuses a zero owner, operator or treasury and a thaw period out of bounds', async () => {
    const { token, owner, operator, treasury } = chain
    await expectRevert(deployEscrow([token, zeroAddress, operator.address, treasury.address, THAW_SECONDS]), 'OwnableInvalidOwner', [zeroAddress])
    await expectRevert(deployEscrow([token, owner.address, zeroAddress, treasury.address, THAW_SECONDS]), 'InvalidOperator', [zeroAddress])
    await expectRevert(deployEscrow([token, owner.address, operator.address, zeroAddress, THAW_SECONDS]), 'InvalidTreasury', [zeroAddress])
    await expectRevert(deployEscrow([token, owner.address, operator.address, treasury.address, MIN_THAW - 1n]), 'ThawPeriodOutOfBounds', [MIN_THAW - 1n, MIN_THAW, MAX_THAW])
    await expectRevert(deployEscrow([token, owner.address, operator.address, treasury.address, MAX_THAW + 1n]), 'ThawPeriodOutOfBounds', [MAX_THAW + 1n, MIN_THAW, MAX_THAW])
    await deployEscrow([token, owner.address, operator.address, treasury.address, MIN_THAW])
    await deployEscrow([token, owner.address, operator.address, treasury.address, MAX_THAW])
  })
})

describe('deposits', () => {
  it('deposit moves tokens into escrow and credits the caller', async () => {
    const [user] = chain.users
    await fund(chain, user, 5_000_000n)
    const receipt = await mined(chain, user.escrow.write.deposit([3_000_000n]))
    expect(eventsOf(receipt)).toEqual([
      { eventName: 'Deposit', args: { account: user.address, payer: user.address, amount: 3_000_000n } },
      { eventName: 'Transfer', args: { from: user.address, to: chain.escrow, value: 3_000_000n } },
    ])
    expect(await chain.read.escrow.read.balanceOf([user.address])).toBe(3_000_000n)
    expect(await chain.read.escrow.read.totalBalances()).toBe(3_000_000n)
    expect(await chain.read.token.read.balanceOf([chain.escrow])).toBe(3_000_000n)
    expect(await chain.read.token.read.balanceOf([user.address])).toBe(2_000_000n)
  })

  it('depositFor credits another account, paid by the caller', async () => {
    const [payer, beneficiary] = chain.users
    await fund(chain, payer, 1_000_000n)
    const receipt = await mined(chain, payer.escrow.write.depositFor([beneficiary.address, 1_000_000n]))
    expect(eventsOf(receipt)[0]).toEqual({ eventName: 'Deposit', args: { account: beneficiary.address, payer: payer.address, amount: 1_000_000n } })
    expect(await chain.read.escrow.read.balanceOf([beneficiary.address])).toBe(1_000_000n)
    expect(await chain.read.escrow.read.balanceOf([payer.address])).toBe(0n)
  })

  it('refuses a zero amount, a zero account and a deposit beyond the allowance', async () => {
    const [user] = chain.users
    await fund(chain, user, 1_000_000n)
    await expectRevert(user.escrow.write.deposit([0n]), 'ZeroAmount', [])
    await expectRevert(user.escrow.write.depositFor([user.address, 0n]), 'ZeroAmount', [])
    await expectRevert(user.escrow.write.depositFor([zeroAddress, 1n]), 'InvalidAccount', [zeroAddress])
    await expectRevert(user.escrow.write.deposit([1_000_001n]), 'ERC20InsufficientAllowance', [chain.escrow, 1_000_000n, 1_000_001n])
  })

  it('depositWithPermit deposits in one transaction without an approval', async () => {
    const [user] = chain.users
    await mined(chain, user.token.write.mint([user.address, 2_000_000n]))
    const deadline = (await latestTimestamp()) + 600n
    const args = await signDepositPermit({ ...user, token: chain.token, escrow: chain.escrow, amount: 2_000_000n, deadline })
    const receipt = await mined(chain, user.escrow.write.depositWithPermit(args))
    expect(eventsOf(receipt).map((e) => e.eventName)).toEqual(['Approval', 'Deposit', 'Transfer'])
    expect(eventsOf(receipt)[1]).toEqual({ eventName: 'Deposit', args: { account: user.address, payer: user.address, amount: 2_000_000n } })
    expect(await chain.read.escrow.read.balanceOf([user.address])).toBe(2_000_000n)
    expect(await chain.read.token.read.allowance([user.address, chain.escrow])).toBe(0n)
    expect(await chain.read.token.read.nonces([user.address])).toBe(1n)
  })

  it('depositWithPermit takes an explicit EIP-712 domain, for tokens without eip712Domain()', async () => {
    const [user] = chain.users
    await mined(chain, user.token.write.mint([user.address, 1_000_000n]))
    const deadline = (await latestTimestamp()) + 600n
    const args = await signDepositPermit({ ...user, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline, domain: { name: 'Mock USD Coin', version: '1' } })
    await mined(chain, user.escrow.write.depositWithPermit(args))
    expect(await chain.read.escrow.read.balanceOf([user.address])).toBe(1_000_000n)
  })

  it('depositWithPermit still deposits when someone front-ran the permit', async () => {
    const [user] = chain.users
    await mined(chain, user.token.write.mint([user.address, 1_000_000n]))
    const deadline = (await latestTimestamp()) + 600n
    const [amount, , v, r, s] = await signDepositPermit({ ...user, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline })
    await mined(chain, chain.stranger.token.write.permit([user.address, chain.escrow, amount, deadline, v, r, s]))
    await mined(chain, user.escrow.write.depositWithPermit([amount, deadline, v, r, s]))
    expect(await chain.read.escrow.read.balanceOf([user.address])).toBe(1_000_000n)
  })

  it('depositWithPermit with a permit that does not hold (other amount, expired, other signer) reverts on the allowance', async () => {
    const [user, other] = chain.users
    await mined(chain, user.token.write.mint([user.address, 5_000_000n]))
    const now = await latestTimestamp()
    const [, deadline, v, r, s] = await signDepositPermit({ ...user, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline: now + 600n })
    await expectRevert(user.escrow.write.depositWithPermit([2_000_000n, deadline, v, r, s]), 'ERC20InsufficientAllowance', [chain.escrow, 0n, 2_000_000n])
    const expired = await signDepositPermit({ ...user, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline: now - 1n })
    await expectRevert(user.escrow.write.depositWithPermit(expired), 'ERC20InsufficientAllowance', [chain.escrow, 0n, 1_000_000n])
    const signedByOther = await signDepositPermit({ ...other, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline: now + 600n })
    await expectRevert(user.escrow.write.depositWithPermit(signedByOther), 'ERC20InsufficientAllowance', [chain.escrow, 0n, 1_000_000n])
  })
})

describe('settle', () => {
  it('moves debits to providers and the fee to the treasury, stores the root and advances the batch id', async () => {
    const [alice, bob] = chain.users
    const [p1, p2] = chain.providers
    await deposited(chain, alice, 10_000_000n)
    await deposited(chain, bob, 4_000_000n)
    const receipt = await settle(1n, [debit(alice, 3_000_000n), debit(bob, 1_000_000n)], [credit(p1, 2_500_000n), credit(p2, 1_100_000n)], 400_000n)
    expect(eventsOf(receipt)).toEqual([
      { eventName: 'Debited', args: { batchId: 1n, account: alice.address, amount: 3_000_000n } },
      { eventName: 'Debited', args: { batchId: 1n, account: bob.address, amount: 1_000_000n } },
      { eventName: 'Credited', args: { batchId: 1n, payout: p1.address, amount: 2_500_000n } },
      { eventName: 'Credited', args: { batchId: 1n, payout: p2.address, amount: 1_100_000n } },
      {
        eventName: 'BatchSettled',
        args: { batchId: 1n, receiptsRoot: ROOT, debited: 4_000_000n, credited: 3_600_000n, fee: 400_000n, treasury: chain.treasury.address },
      },
    ])
    const escrow = chain.read.escrow
    expect(await escrow.read.balanceOf([alice.address])).toBe(7_000_000n)
    expect(await escrow.read.balanceOf([bob.address])).toBe(3_000_000n)
    expect(await escrow.read.earningsOf([p1.address])).toBe(2_500_000n)
    expect(await escrow.read.earningsOf([p2.address])).toBe(1_100_000n)
    expect(await escrow.read.earningsOf([chain.treasury.address])).toBe(400_000n)
    expect(await escrow.read.totalBalances()).toBe(10_000_000n)
    expect(await escrow.read.totalEarnings()).toBe(4_000_000n)
    expect(await escrow.read.receiptsRootOf([1n])).toBe(ROOT)
    expect(await escrow.read.receiptsRootOf([2n])).toBe(zeroHash)
    expect(await escrow.read.nextBatchId()).toBe(2n)
    expect(await chain.read.token.read.balanceOf([chain.escrow])).toBe(14_000_000n)
  })

  it('applies repeated accounts in order and accepts an empty batch', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 3_000_000n)
    await settle(1n, [debit(alice, 1_000_000n), debit(alice, 2_000_000n)], [credit(p1, 1_000_000n), credit(p1, 2_000_000n)], 0n)
    expect(await chain.read.escrow.read.balanceOf([alice.address])).toBe(0n)
    expect(await chain.read.escrow.read.earningsOf([p1.address])).toBe(3_000_000n)
    const receipt = await settle(2n, [], [], 0n, zeroHash)
    expect(eventsOf(receipt)).toEqual([{ eventName: 'BatchSettled', args: { batchId: 2n, receiptsRoot: zeroHash, debited: 0n, credited: 0n, fee: 0n, treasury: chain.treasury.address } }])
    expect(await chain.read.escrow.read.nextBatchId()).toBe(3n)
  })

  it('is for the operator only', async () => {
    for (const caller of [chain.owner, chain.treasury, chain.users[0]]) {
      await expectRevert(caller.escrow.write.settle([1n, ROOT, [], [], 0n]), 'NotOperator', [caller.address])
    }
  })

  it('applies batches in order: none twice, none skipped', async () => {
    await expectRevert(chain.operator.escrow.write.settle([2n, ROOT, [], [], 0n]), 'UnexpectedBatchId', [1n, 2n])
    await expectRevert(chain.operator.escrow.write.settle([0n, ROOT, [], [], 0n]), 'UnexpectedBatchId', [1n, 0n])
    await settle(1n, [], [], 0n)
    await expectRevert(chain.operator.escrow.write.settle([1n, ROOT, [], [], 0n]), 'UnexpectedBatchId', [2n, 1n])
  })

  it('never takes more than a balance, even across repeated debits', async () => {
    const [alice, bob] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 1_000_000n)
    const op = chain.operator.escrow
    await expectRevert(op.write.settle([1n, ROOT, [debit(alice, 1_000_001n)], [credit(p1, 1_000_001n)], 0n]), 'InsufficientBalance', [alice.address, 1_000_000n, 1_000_001n])
    await expectRevert(op.write.settle([1n, ROOT, [debit(alice, 600_000n), debit(alice, 600_000n)], [credit(p1, 1_200_000n)], 0n]), 'InsufficientBalance', [alice.address, 400_000n, 600_000n])
    await expectRevert(op.write.settle([1n, ROOT, [debit(bob, 1n)], [credit(p1, 1n)], 0n]), 'InsufficientBalance', [bob.address, 0n, 1n])
  })

  it('must balance: debits == credits + fee', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 1_000_000n)
    const op = chain.operator.escrow
    await expectRevert(op.write.settle([1n, ROOT, [debit(alice, 1_000_000n)], [credit(p1, 900_000n)], 99_999n]), 'SettlementImbalance', [1_000_000n, 900_000n, 99_999n])
    await expectRevert(op.write.settle([1n, ROOT, [debit(alice, 1_000_000n)], [credit(p1, 900_000n)], 100_001n]), 'SettlementImbalance', [1_000_000n, 900_000n, 100_001n])
    await expectRevert(op.write.settle([1n, ROOT, [], [credit(p1, 1n)], 0n]), 'SettlementImbalance', [0n, 1n, 0n])
    await expectRevert(op.write.settle([1n, ROOT, [], [], 1n]), 'SettlementImbalance', [0n, 0n, 1n])
  })

  it('refuses a credit to the zero address', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 1_000_000n)
    const credits = [credit(p1, 500_000n), { payout: zeroAddress, amount: 500_000n }]
    await expectRevert(chain.operator.escrow.write.settle([1n, ROOT, [debit(alice, 1_000_000n)], credits, 0n]), 'InvalidPayout', [1n, zeroAddress])
  })

  it('credits fees to the treasury of the moment; a new treasury does not take the old one’s fees', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 1_000_000n)
    await settle(1n, [debit(alice, 100_000n)], [], 100_000n)
    await mined(chain, chain.owner.escrow.write.setTreasury([chain.stranger.address]))
    await settle(2n, [debit(alice, 50_000n)], [], 50_000n)
    expect(await chain.read.escrow.read.earningsOf([chain.treasury.address])).toBe(100_000n)
    expect(await chain.read.escrow.read.earningsOf([chain.stranger.address])).toBe(50_000n)
  })
})

describe('claim', () => {
  it('pays a provider its earnings, once', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 1_000_000n)
    await settle(1n, [debit(alice, 1_000_000n)], [credit(p1, 900_000n)], 100_000n)
    const receipt = await mined(chain, p1.escrow.write.claim())
    expect(eventsOf(receipt)).toEqual([
      { eventName: 'Claimed', args: { payout: p1.address, amount: 900_000n } },
      { eventName: 'Transfer', args: { from: chain.escrow, to: p1.address, value: 900_000n } },
    ])
    expect(await chain.read.token.read.balanceOf([p1.address])).toBe(900_000n)
    expect(await chain.read.escrow.read.earningsOf([p1.address])).toBe(0n)
    expect(await chain.read.escrow.read.totalEarnings()).toBe(100_000n)
    await expectRevert(p1.escrow.write.claim(), 'NothingToClaim', [p1.address])
  })

  it('pays the treasury its fees', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 1_000_000n)
    await settle(1n, [debit(alice, 250_000n)], [], 250_000n)
    await mined(chain, chain.treasury.escrow.write.claim())
    expect(await chain.read.token.read.balanceOf([chain.treasury.address])).toBe(250_000n)
  })

  it('refuses an account with no earnings', async () => {
    await expectRevert(chain.stranger.escrow.write.claim(), 'NothingToClaim', [chain.stranger.address])
  })
})

describe('withdrawals', () => {
  async function request(actor: Actor, amount: bigint) {
    const receipt = await mined(chain, actor.escrow.write.requestWithdrawal([amount]))
    const { timestamp } = await chain.testClient.getBlock({ blockNumber: receipt.blockNumber })
    return { receipt, maturesAt: timestamp + THAW_SECONDS }
  }

  /** Mines the next transaction at exactly `timestamp`. */
  async function at(timestamp: bigint) {
    await chain.testClient.setNextBlockTimestamp({ timestamp })
  }

  it('a request records the amount and the maturity, and is replaced by the next one', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 5_000_000n)
    const first = await request(alice, 2_000_000n)
    expect(eventsOf(first.receipt)).toEqual([{ eventName: 'WithdrawalRequested', args: { account: alice.address, amount: 2_000_000n, maturesAt: first.maturesAt } }])
    expect(await chain.read.escrow.read.withdrawalRequestOf([alice.address])).toEqual({ amount: 2_000_000n, maturesAt: first.maturesAt })
    await chain.testClient.increaseTime({ seconds: 100 })
    const second = await request(alice, 3_000_000n)
    expect(second.maturesAt).toBeGreaterThanOrEqual(first.maturesAt + 100n)
    expect(await chain.read.escrow.read.withdrawalRequestOf([alice.address])).toEqual({ amount: 3_000_000n, maturesAt: second.maturesAt })
  })

  it('refuses a zero amount or more than the balance', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 1_000_000n)
    await expectRevert(alice.escrow.write.requestWithdrawal([0n]), 'ZeroAmount', [])
    await expectRevert(alice.escrow.write.requestWithdrawal([1_000_001n]), 'InsufficientBalance', [alice.address, 1_000_000n, 1_000_001n])
  })

  it('refuses a request that does not fit its uint128 slot', async () => {
    const [alice] = chain.users
    const huge = 2n ** 128n
    await deposited(chain, alice, huge)
    await expectRevert(alice.escrow.write.requestWithdrawal([huge]), 'SafeCastOverflowedUintDowncast', [128, huge])
    await mined(chain, alice.escrow.write.requestWithdrawal([huge - 1n]))
  })

  it('pays nothing before maturity and the full request at maturity', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 5_000_000n)
    const { maturesAt } = await request(alice, 2_000_000n)
    // Explicit gas: mined at exactly these timestamps, with no estimate at another time first.
    await at(maturesAt - 1n)
    expect(await minedRevert(chain, alice.escrow.write.withdraw({ gas: 200_000n }))).toEqual({ errorName: 'WithdrawalNotMatured', args: [alice.address, maturesAt, maturesAt - 1n] })
    await at(maturesAt)
    const receipt = await mined(chain, alice.escrow.write.withdraw({ gas: 200_000n }))
    expect(eventsOf(receipt)).toEqual([
      { eventName: 'Withdrawal', args: { account: alice.address, amount: 2_000_000n } },
      { eventName: 'Transfer', args: { from: chain.escrow, to: alice.address, value: 2_000_000n } },
    ])
    expect(await chain.read.escrow.read.balanceOf([alice.address])).toBe(3_000_000n)
    expect(await chain.read.escrow.read.totalBalances()).toBe(3_000_000n)
    expect(await chain.read.token.read.balanceOf([alice.address])).toBe(2_000_000n)
    expect(await chain.read.escrow.read.withdrawalRequestOf([alice.address])).toEqual({ amount: 0n, maturesAt: 0n })
    await expectRevert(alice.escrow.write.withdraw(), 'NoWithdrawalRequest', [alice.address])
  })

  it('the operator settles spending during the thaw; withdraw pays what is left', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 5_000_000n)
    await request(alice, 5_000_000n)
    await chain.testClient.increaseTime({ seconds: Number(THAW_SECONDS) / 2 })
    await settle(1n, [debit(alice, 1_500_000n)], [credit(p1, 1_500_000n)], 0n)
    await chain.testClient.increaseTime({ seconds: Number(THAW_SECONDS) })
    const receipt = await mined(chain, alice.escrow.write.withdraw())
    expect(eventsOf(receipt)[0]).toEqual({ eventName: 'Withdrawal', args: { account: alice.address, amount: 3_500_000n } })
    expect(await chain.read.escrow.read.balanceOf([alice.address])).toBe(0n)
    expect(await chain.read.token.read.balanceOf([alice.address])).toBe(3_500_000n)
  })

  it('a request whose balance was all spent withdraws zero and clears the request', async () => {
    const [alice] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 1_000_000n)
    await request(alice, 1_000_000n)
    await settle(1n, [debit(alice, 1_000_000n)], [credit(p1, 1_000_000n)], 0n)
    await chain.testClient.increaseTime({ seconds: Number(THAW_SECONDS) })
    const receipt = await mined(chain, alice.escrow.write.withdraw())
    expect(eventsOf(receipt)).toEqual([{ eventName: 'Withdrawal', args: { account: alice.address, amount: 0n } }])
    expect(await chain.read.escrow.read.withdrawalRequestOf([alice.address])).toEqual({ amount: 0n, maturesAt: 0n })
  })

  it('cancelWithdrawal clears the request', async () => {
    const [alice] = chain.users
    await deposited(chain, alice, 1_000_000n)
    await expectRevert(alice.escrow.write.cancelWithdrawal(), 'NoWithdrawalRequest', [alice.address])
    await request(alice, 400_000n)
    const receipt = await mined(chain, alice.escrow.write.cancelWithdrawal())
    expect(eventsOf(receipt)).toEqual([{ eventName: 'WithdrawalCancelled', args: { account: alice.address, amount: 400_000n } }])
    await chain.testClient.increaseTime({ seconds: Number(THAW_SECONDS) })
    await expectRevert(alice.escrow.write.withdraw(), 'NoWithdrawalRequest', [alice.address])
    expect(await chain.read.escrow.read.balanceOf([alice.address])).toBe(1_000_000n)
  })

  it('a new thaw period applies to later requests only', async () => {
    const [alice, bob] = chain.users
    await deposited(chain, alice, 1_000_000n)
    await deposited(chain, bob, 1_000_000n)
    const early = await request(alice, 1_000_000n)
    await mined(chain, chain.owner.escrow.write.setThawPeriod([MAX_THAW]))
    const late = await mined(chain, bob.escrow.write.requestWithdrawal([1_000_000n]))
    const { timestamp } = await chain.testClient.getBlock({ blockNumber: late.blockNumber })
    expect(await chain.read.escrow.read.withdrawalRequestOf([bob.address])).toEqual({ amount: 1_000_000n, maturesAt: timestamp + MAX_THAW })
    expect(await chain.read.escrow.read.withdrawalRequestOf([alice.address])).toEqual({ amount: 1_000_000n, maturesAt: early.maturesAt })
    await at(early.maturesAt)
    await mined(chain, alice.escrow.write.withdraw({ gas: 200_000n }))
  })
})

describe('owner', () => {
  it('sets the operator, the treasury and the thaw period, with events', async () => {
    const escrow = chain.owner.escrow
    const newOperator = chain.stranger.address
    expect(eventsOf(await mined(chain, escrow.write.setOperator([newOperator])))).toEqual([
      { eventName: 'OperatorChanged', args: { previousOperator: chain.operator.address, newOperator } },
    ])
    expect(eventsOf(await mined(chain, escrow.write.setTreasury([newOperator])))).toEqual([
      { eventName: 'TreasuryChanged', args: { previousTreasury: chain.treasury.address, newTreasury: newOperator } },
    ])
    expect(eventsOf(await mined(chain, escrow.write.setThawPeriod([MIN_THAW])))).toEqual([
      { eventName: 'ThawPeriodChanged', args: { previousThawPeriod: THAW_SECONDS, newThawPeriod: MIN_THAW } },
    ])
    expect([await escrow.read.operator(), await escrow.read.treasury(), await escrow.read.thawPeriod()]).toEqual([newOperator, newOperator, MIN_THAW])
    await expectRevert(chain.operator.escrow.write.settle([1n, ROOT, [], [], 0n]), 'NotOperator', [chain.operator.address])
    await mined(chain, chain.stranger.escrow.write.settle([1n, ROOT, [], [], 0n]))
  })

  it('refuses zero addresses and thaw periods out of bounds', async () => {
    const escrow = chain.owner.escrow
    await expectRevert(escrow.write.setOperator([zeroAddress]), 'InvalidOperator', [zeroAddress])
    await expectRevert(escrow.write.setTreasury([zeroAddress]), 'InvalidTreasury', [zeroAddress])
    await expectRevert(escrow.write.setThawPeriod([MIN_THAW - 1n]), 'ThawPeriodOutOfBounds', [MIN_THAW - 1n, MIN_THAW, MAX_THAW])
    await expectRevert(escrow.write.setThawPeriod([MAX_THAW + 1n]), 'ThawPeriodOutOfBounds', [MAX_THAW + 1n, MIN_THAW, MAX_THAW])
  })

  it('only the owner changes roles, the thaw period and the pause', async () => {
    for (const caller of [chain.operator, chain.treasury, chain.stranger]) {
      const escrow = caller.escrow
      await expectRevert(escrow.write.setOperator([caller.address]), 'OwnableUnauthorizedAccount', [caller.address])
      await expectRevert(escrow.write.setTreasury([caller.address]), 'OwnableUnauthorizedAccount', [caller.address])
      await expectRevert(escrow.write.setThawPeriod([MIN_THAW]), 'OwnableUnauthorizedAccount', [caller.address])
      await expectRevert(escrow.write.pause(), 'OwnableUnauthorizedAccount', [caller.address])
      await expectRevert(escrow.write.unpause(), 'OwnableUnauthorizedAccount', [caller.address])
      await expectRevert(escrow.write.transferOwnership([caller.address]), 'OwnableUnauthorizedAccount', [caller.address])
    }
  })

  it('ownership moves in two steps: the new owner must accept', async () => {
    const { owner, stranger, users } = chain
    const started = await mined(chain, owner.escrow.write.transferOwnership([stranger.address]))
    expect(eventsOf(started)).toEqual([{ eventName: 'OwnershipTransferStarted', args: { previousOwner: owner.address, newOwner: stranger.address } }])
    expect(await chain.read.escrow.read.owner()).toBe(owner.address)
    expect(await chain.read.escrow.read.pendingOwner()).toBe(stranger.address)
    await expectRevert(users[0].escrow.write.acceptOwnership(), 'OwnableUnauthorizedAccount', [users[0].address])
    const accepted = await mined(chain, stranger.escrow.write.acceptOwnership())
    expect(eventsOf(accepted)).toEqual([{ eventName: 'OwnershipTransferred', args: { previousOwner: owner.address, newOwner: stranger.address } }])
    expect(await chain.read.escrow.read.owner()).toBe(stranger.address)
    expect(await chain.read.escrow.read.pendingOwner()).toBe(zeroAddress)
    await expectRevert(owner.escrow.write.pause(), 'OwnableUnauthorizedAccount', [owner.address])
    await mined(chain, stranger.escrow.write.pause())
  })
})

describe('pause', () => {
  it('stops deposits and settlements; claims, requests, cancels and matured withdrawals go on', async () => {
    const [alice, bob] = chain.users
    const [p1] = chain.providers
    await deposited(chain, alice, 2_000_000n)
    await deposited(chain, bob, 1_000_000n)
    await settle(1n, [debit(alice, 1_000_000n)], [credit(p1, 1_000_000n)], 0n)
    await mined(chain, alice.escrow.write.requestWithdrawal([1_000_000n]))

    const paused = await mined(chain, chain.owner.escrow.write.pause())
    expect(eventsOf(paused)).toEqual([{ eventName: 'Paused', args: { account: chain.owner.address } }])
    await expectRevert(chain.owner.escrow.write.pause(), 'EnforcedPause', [])

    await fund(chain, bob, 3_000_000n)
    await expectRevert(bob.escrow.write.deposit([1_000_000n]), 'EnforcedPause', [])
    await expectRevert(bob.escrow.write.depositFor([alice.address, 1_000_000n]), 'EnforcedPause', [])
    const deadline = (await latestTimestamp()) + 600n
    await expectRevert(bob.escrow.write.depositWithPermit(await signDepositPermit({ ...bob, token: chain.token, escrow: chain.escrow, amount: 1_000_000n, deadline })), 'EnforcedPause', [])
    await expectRevert(chain.operator.escrow.write.settle([2n, ROOT, [], [], 0n]), 'EnforcedPause', [])

    await mined(chain, p1.escrow.write.claim())
    await mined(chain, bob.escrow.write.requestWithdrawal([500_000n]))
    await mined(chain, bob.escrow.write.cancelWithdrawal())
    await chain.testClient.increaseTime({ seconds: Number(THAW_SECONDS) })
    await mined(chain, alice.escrow.write.withdraw())
    expect(await chain.read.token.read.balanceOf([alice.address])).toBe(1_000_000n)

    const unpaused = await mined(chain, chain.owner.escrow.write.unpause())
    expect(eventsOf(unpaused)).toEqual([{ eventName: 'Unpaused', args: { account: chain.owner.address } }])
    await expectRevert(chain.owner.escrow.write.unpause(), 'ExpectedPause', [])
    await mined(chain, bob.escrow.write.deposit([1_000_000n]))
    await settle(2n, [], [], 0n)
  })
})

describe('MockUSDC', () => {
  it('has 6 decimals and lets anyone mint', async () => {
    expect(await chain.read.token.read.decimals()).toBe(6)
    expect(await chain.read.token.read.symbol()).toBe('USDC')
    await mined(chain, chain.stranger.token.write.mint([chain.users[0].address, 42n]))
    expect(await chain.read.token.read.balanceOf([chain.users[0].address])).toBe(42n)
  })
})

describe('gas', () => {
  it('records what deposit, settle with 1, 10 and 100 debits, and claim cost', async () => {
    const gas: string[] = []
    const [alice] = chain.users
    await fund(chain, alice, 1_000_000_000n)
    gas.push(`first deposit ${(await mined(chain, alice.escrow.write.deposit([1_000_000n]))).gasUsed}`)
    gas.push(`deposit ${(await mined(chain, alice.escrow.write.deposit([1_000_000n]))).gasUsed}`)
    // 100 funded accounts to debit: deposits for synthetic addresses.
    const accounts = Array.from({ length: 100 }, (_, i) => getAddress(`0x${(0x1000 + i).toString(16).padStart(40, '0')}`))
    for (const account of accounts) await mined(chain, alice.escrow.write.depositFor([account, 1_000_000n]))
    const providers = chain.providers.map((p) => p.address)
    let batchId = 1n
    // The first batch also creates the providers' and the treasury's earnings slots.
    for (const [label, n] of [['first settle, 1 debit', 1], ['settle, 1 debit', 1], ['settle, 10 debits', 10], ['settle, 100 debits', 100]] as const) {
      const debits = accounts.slice(0, n).map((account) => ({ account, amount: 1_000n }))
      const credits = providers.map((payout) => ({ payout, amount: (BigInt(n) * 450n) }))
      const fee = BigInt(n) * 100n
      const { gasUsed } = await settle(batchId++, debits, credits, fee)
      gas.push(`${label} and 2 credits ${gasUsed}`)
      expect(gasUsed).toBeLessThan(30_000_000n)
    }
    gas.push(`claim ${(await mined(chain, chain.providers[0].escrow.write.claim())).gasUsed}`)
    console.log(`gas used: ${gas.join(', ')}`)
  })
})
