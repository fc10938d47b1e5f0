import { afterAll, beforeAll, beforeEach, expect } from 'vitest'
import {
  BaseError,
  createTestClient,
  decodeErrorResult,
  getContract,
  http,
  isHex,
  parseEventLogs,
  publicActions,
  type Address,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from 'viem'
import { creditEscrowAbi } from '../src/artifacts/CreditEscrow.ts'
import { mockUsdcAbi } from '../src/artifacts/MockUSDC.ts'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createChainClients, type ChainClients } from '../src/clients.ts'
import { deployMarketplaceContracts } from '../src/deploy.ts'

export const THAW_SECONDS = 3600n

/** One dev account with its own clients and typed contract handles. */
export interface Actor extends ChainClients {
  address: Address
  escrow: ReturnType<typeof escrowContract>
  token: ReturnType<typeof tokenContract>
}

function escrowContract(address: Address, clients: ChainClients) {
  return getContract({ address, abi: creditEscrowAbi, client: { public: clients.publicClient, wallet: clients.walletClient } })
}

function tokenContract(address: Address, clients: ChainClients) {
  return getContract({ address, abi: mockUsdcAbi, client: { public: clients.publicClient, wallet: clients.walletClient } })
}

/** A real anvil with MockUSDC and the escrow deployed; every test starts from the freshly deployed state. */
export interface EscrowChain {
  anvil: Anvil
  testClient: ReturnType<typeof createTestClientFor>
  token: Address
  escrow: Address
  deploymentBlock: bigint
  owner: Actor
  operator: Actor
  treasury: Actor
  users: [Actor, Actor, Actor]
  providers: [Actor, Actor]
  stranger: Actor
  /** Escrow and token reads. */
  read: Actor
}

function createTestClientFor(anvil: Anvil) {
  return createTestClient({ mode: 'anvil', chain: anvil.chain, transport: http(anvil.rpcUrl) }).extend(publicActions)
}

/**
 * Starts anvil for the file, deploys, and reverts to the deployed state before each test
 * (anvil snapshots), so tests are independent without a redeploy.
 */
export function useEscrowChain(): EscrowChain {
  const chain = {} as EscrowChain
  let snapshot: Hash
  beforeAll(async () => {
    const anvil = await startAnvil()
    const actors = anvil.accounts.map((account) => createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: account.privateKey }))
    const deployer = actors[0]!
    const deployment = await deployMarketplaceContracts({
      ...deployer,
      operator: anvil.accounts[1]!.address,
      treasury: anvil.accounts[2]!.address,
      thawSeconds: THAW_SECONDS,
    })
    const actor = (index: number): Actor => {
      const clients = actors[index]!
      return { ...clients, address: anvil.accounts[index]!.address, escrow: escrowContract(deployment.escrow, clients), token: tokenContract(deployment.token, clients) }
    }
    Object.assign(chain, {
      anvil,
      testClient: createTestClientFor(anvil),
      ...deployment,
      owner: actor(0),
      operator: actor(1),
      treasury: actor(2),
      users: [actor(3), actor(4), actor(5)],
      providers: [actor(6), actor(7)],
      stranger: actor(8),
      read: actor(9),
    })
    snapshot = await chain.testClient.snapshot()
  }, 60_000)
  beforeEach(async () => {
    await chain.testClient.revert({ id: snapshot })
    snapshot = await chain.testClient.snapshot()
  })
  afterAll(async () => {
    await chain.anvil?.stop()
  })
  return chain
}

/** Waits for a transaction and expects it to have succeeded. */
export async function mined(chain: EscrowChain, hash: Promise<Hash>): Promise<TransactionReceipt> {
  const receipt = await chain.read.publicClient.waitForTransactionReceipt({ hash: await hash })
  expect(receipt.status).toBe('success')
  return receipt
}

/** The escrow's errors and the token's, which the escrow lets through. */
export const REVERT_ERRORS = [...creditEscrowAbi, ...mockUsdcAbi].filter((item) => item.type === 'error')

/**
 * Expects a call, transaction or deployment to revert with `errorName` (and `args`, when given),
 * decoded from the revert data, so that token errors bubbling through the escrow count too.
 */
export async function expectRevert(call: Promise<unknown>, errorName: string, args?: readonly unknown[]): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected a revert with ${errorName}`).toBeInstanceOf(BaseError)
  const withData = (error as BaseError).walk((e) => isHex((e as { raw?: unknown }).raw) || isHex((e as { data?: unknown }).data))
  const data = withData && ((withData as { raw?: Hex }).raw ?? (withData as { data?: Hex }).data)
  expect(data, String(error)).toBeDefined()
  const decoded = decodeErrorResult({ abi: REVERT_ERRORS, data: data! })
  expect(decoded.errorName).toBe(errorName)
  if (args) expect(decoded.args ?? []).toEqual(args)
}

/** The error a mined, reverted transaction reverted with, decoded from anvil's call trace. */
export async function minedRevert(chain: EscrowChain, hash: Promise<Hash>): Promise<{ errorName: string; args: readonly unknown[] }> {
  const receipt = await chain.read.publicClient.waitForTransactionReceipt({ hash: await hash })
  expect(receipt.status).toBe('reverted')
  const trace = (await chain.testClient.request({ method: 'debug_traceTransaction' as never, params: [receipt.transactionHash, { tracer: 'callTracer' }] as never })) as { output?: Hex }
  const { errorName, args } = decodeErrorResult({ abi: REVERT_ERRORS, data: trace.output! })
  return { errorName, args: args ?? [] }
}

/** The escrow's and token's events in a receipt, in order, as { eventName, args }. */
export function eventsOf(receipt: TransactionReceipt): { eventName: string; args: unknown }[] {
  return parseEventLogs({ abi: [...creditEscrowAbi, ...mockUsdcAbi], logs: receipt.logs }).map(({ eventName, args }) => ({ eventName, args }))
}

/** Mints MockUSDC to an actor and approves the escrow for it. */
export async function fund(chain: EscrowChain, actor: Actor, amount: bigint): Promise<void> {
  await mined(chain, actor.token.write.mint([actor.address, amount]))
  await mined(chain, actor.token.write.approve([chain.escrow, amount]))
}

/** Funds and deposits, so `actor` holds `amount` in escrow. */
export async function deposited(chain: EscrowChain, actor: Actor, amount: bigint): Promise<void> {
  await fund(chain, actor, amount)
  await mined(chain, actor.escrow.write.deposit([amount]))
}
