import { afterAll, beforeAll } from 'vitest'
import { createTestClient, http, publicActions, type Address, type Hash } from 'viem'
import { creditEscrowAbi, createChainClients, deployMarketplaceContracts, mockUsdcAbi, startAnvil, type Anvil, type ChainClients, type DevAccount } from '@agora/contracts'
import { ChainConfig, type ChainConfigInput } from './config.ts'

// Test support, read by tests only: a real anvil with the escrow deployed.

/** Seconds a withdrawal request thaws on the test escrow. */
export const TEST_THAW_SECONDS = 3_600

/** A dev account with its clients. */
export interface TestActor extends ChainClients {
  address: Address
}

/** A running anvil with MockUSDC and the escrow, and who is who on it. */
export interface TestChain {
  anvil: Anvil
  testClient: ReturnType<typeof testClientFor>
  token: Address
  escrow: Address
  deploymentBlock: bigint
  /** Deployed and owns the escrow (pauses it). */
  owner: TestActor
  operator: TestActor
  treasury: TestActor
  users: TestActor[]
  providers: TestActor[]
  /** The router's chain config for this escrow, with the operator's key. */
  config(overrides?: Partial<ChainConfigInput>): ChainConfig
  /** Mints `amount` to `from`, approves and deposits it to `to` (`from` by default); resolves once mined. */
  deposit(from: TestActor, amount: bigint, to?: Address): Promise<void>
  /** Sends an escrow call from `actor` and waits for it to succeed. */
  send(actor: TestActor, call: EscrowCall): Promise<void>
  /** The escrow's view of an address: escrowed balance and claimable earnings. */
  escrowOf(address: Address): Promise<{ balance: bigint; earnings: bigint }>
  tokenBalance(address: Address): Promise<bigint>
}

/** A state-changing escrow call a user makes. */
export type EscrowCall = { functionName: 'requestWithdrawal'; args: [bigint] } | { functionName: 'cancelWithdrawal' | 'withdraw' | 'claim' | 'pause' | 'unpause'; args?: [] }

function testClientFor(anvil: Anvil) {
  return createTestClient({ mode: 'anvil', chain: anvil.chain, transport: http(anvil.rpcUrl) }).extend(publicActions)
}

/**
 * Starts anvil for the enclosing suite and deploys MockUSDC and the escrow (anvil account
 * 0 deploys and owns it, 1 operates, 2 is the treasury, 3–5 are users, 6–7 providers).
 * @example
 * const chain = useTestChain()
 * it('…', async () => { await chain.deposit(chain.users[0]!, 5_000_000n) })
 */
export function useTestChain(): TestChain {
  const chain = {} as TestChain
  beforeAll(async () => {
    const anvil = await startAnvil()
    const actor = (index: number): TestActor => {
      const account = anvil.accounts[index] as DevAccount
      return { address: account.address, ...createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: account.privateKey }) }
    }
    const deployer = actor(0)
    const operator = actor(1)
    const treasury = actor(2)
    const deployment = await deployMarketplaceContracts({ ...deployer, operator: operator.address, treasury: treasury.address, thawSeconds: TEST_THAW_SECONDS })
    const testClient = testClientFor(anvil)
    const mined = async (hash: Promise<Hash>) => {
      const receipt = await testClient.waitForTransactionReceipt({ hash: await hash })
      if (receipt.status !== 'success') throw new Error(`transaction ${receipt.transactionHash} reverted`)
    }
    Object.assign(chain, {
      anvil,
      testClient,
      token: deployment.token,
      escrow: deployment.escrow,
      deploymentBlock: deployment.deploymentBlock,
      owner: deployer,
      operator,
      treasury,
      users: [actor(3), actor(4), actor(5)],
      providers: [actor(6), actor(7)],
      config: (overrides: Partial<ChainConfigInput> = {}) =>
        ChainConfig.parse({
          rpcUrl: anvil.rpcUrl,
          chainId: anvil.chain.id,
          escrow: deployment.escrow,
          token: deployment.token,
          deploymentBlock: deployment.deploymentBlock,
          confirmations: 1,
          operatorKey: anvil.accounts[1]!.privateKey,
          pollIntervalMs: 50,
          ...overrides,
        }),
      async deposit(from: TestActor, amount: bigint, to?: Address) {
        await mined(from.walletClient.writeContract({ address: deployment.token, abi: mockUsdcAbi, functionName: 'mint', args: [from.address, amount] }))
        await mined(from.walletClient.writeContract({ address: deployment.token, abi: mockUsdcAbi, functionName: 'approve', args: [deployment.escrow, amount] }))
        await mined(
          to
            ? from.walletClient.writeContract({ address: deployment.escrow, abi: creditEscrowAbi, functionName: 'depositFor', args: [to, amount] })
            : from.walletClient.writeContract({ address: deployment.escrow, abi: creditEscrowAbi, functionName: 'deposit', args: [amount] }),
        )
      },
      async send(actor: TestActor, call: EscrowCall) {
        await mined(actor.walletClient.writeContract({ address: deployment.escrow, abi: creditEscrowAbi, ...call } as Parameters<typeof actor.walletClient.writeContract>[0]))
      },
      async escrowOf(address: Address) {
        const [balance, earnings] = await Promise.all([
          testClient.readContract({ address: deployment.escrow, abi: creditEscrowAbi, functionName: 'balanceOf', args: [address] }),
          testClient.readContract({ address: deployment.escrow, abi: creditEscrowAbi, functionName: 'earningsOf', args: [address] }),
        ])
        return { balance, earnings }
      },
      tokenBalance: (address: Address) => testClient.readContract({ address: deployment.token, abi: mockUsdcAbi, functionName: 'balanceOf', args: [address] }),
    } satisfies TestChain)
  }, 60_000)
  afterAll(async () => {
    await chain.anvil?.stop()
  })
  return chain
}
