import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import { zeroHash, type Address } from 'viem'
import { createChainClients, creditEscrowAbi, deployMarketplaceContracts, fundWallet, startAnvil, type Anvil } from '@agora/contracts'
import type { EscrowInfo } from '../api/schemas.ts'
import { anvilWallet } from './test-wallet.ts'
import { cancelWithdrawal, claim, deposit, escrowClients, readEscrow, requestWithdrawal, thawLeft, withdraw, type EscrowClients, type TransactionStep } from './escrow.ts'

/** The console's escrow actions through an EIP-1193 wallet, against the real contracts on anvil. */

vi.setConfig({ hookTimeout: 120_000, testTimeout: 60_000 })

const THAW = 600

describe('the console escrow actions on anvil', () => {
  let anvil: Anvil
  let info: EscrowInfo
  let clients: EscrowClients
  let user: Address

  beforeAll(async () => {
    anvil = await startAnvil()
    const [owner, operator, treasury, wallet] = anvil.accounts
    const owned = createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: owner.privateKey })
    const deployed = await deployMarketplaceContracts({ ...owned, operator: operator.address, treasury: treasury.address, thawSeconds: THAW })
    await fundWallet({ ...owned, token: deployed.token, to: wallet.address, amount: 100_000_000n })
    info = { chain_id: anvil.chain.id, escrow: deployed.escrow, token: deployed.token, confirmations: 1 }
    user = wallet.address
    clients = await escrowClients(anvilWallet({ rpcUrl: anvil.rpcUrl, address: user }), info, user)
  })

  afterAll(async () => {
    await anvil?.stop()
  })

  it('deposits with a permit in one transaction, reporting each step, and returns the ref the router credits', async () => {
    const steps: TransactionStep['step'][] = []
    const { ref, hash } = await deposit(clients, 5_000_000n, (step) => steps.push(step.step))
    expect(steps).toEqual(['signing', 'signing', 'pending', 'confirmed'])
    expect(ref).toMatch(new RegExp(`^${hash.toLowerCase()}:\\d+$`))
    expect(await readEscrow(clients)).toMatchObject({ walletTokens: 95_000_000n, escrowed: 5_000_000n, withdrawal: undefined, earnings: 0n })
  })

  it('requests a withdrawal, refuses to pay it before the thaw, pays it after, and can cancel one', async () => {
    await requestWithdrawal(clients, 2_000_000n, () => {})
    const pending = await readEscrow(clients)
    expect(pending.withdrawal?.amount).toBe(2_000_000n)
    expect(thawLeft(pending.withdrawal!.maturesAt, pending.chainTime)).toMatch(/^(9|10) min \d\d s$/)
    await expect(withdraw(clients, () => {})).rejects.toThrow('The withdrawal request has not thawed yet.')

    const test = anvilWallet({ rpcUrl: anvil.rpcUrl, address: user })
    await test.handle('evm_increaseTime', [THAW])
    await test.handle('evm_mine', [])
    const matured = await readEscrow(clients)
    expect(thawLeft(matured.withdrawal!.maturesAt, matured.chainTime)).toBeUndefined()
    await withdraw(clients, () => {})
    expect(await readEscrow(clients)).toMatchObject({ walletTokens: 97_000_000n, escrowed: 3_000_000n, withdrawal: undefined })

    await requestWithdrawal(clients, 1_000_000n, () => {})
    await cancelWithdrawal(clients, () => {})
    expect((await readEscrow(clients)).withdrawal).toBeUndefined()
  })

  it('claims what a settlement credited to the address as a payout, and says when there is nothing', async () => {
    await expect(claim(clients, () => {})).rejects.toThrow('There are no earnings to claim.')
    const operator = createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: anvil.accounts[1].privateKey })
    // The user pays 1 USD of usage to itself as a provider (one wallet, both roles).
    const hash = await operator.walletClient.writeContract({
      address: info.escrow,
      abi: creditEscrowAbi,
      functionName: 'settle',
      args: [1n, zeroHash, [{ account: user, amount: 1_000_000n }], [{ payout: user, amount: 1_000_000n }], 0n],
    })
    await operator.publicClient.waitForTransactionReceipt({ hash })
    expect(await readEscrow(clients)).toMatchObject({ escrowed: 2_000_000n, earnings: 1_000_000n })
    await claim(clients, () => {})
    expect(await readEscrow(clients)).toMatchObject({ walletTokens: 98_000_000n, earnings: 0n })
  })

  it('formats the time left of a thaw', () => {
    expect(thawLeft(1_600n, 1_000n)).toBe('10 min 00 s')
    expect(thawLeft(8_000n, 1_000n)).toBe('1 h 56 min 40 s')
    expect(thawLeft(1_000n, 1_000n)).toBeUndefined()
  })
})
