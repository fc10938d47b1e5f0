import { creditEscrowAbi } from '@agora/contracts/artifacts/CreditEscrow'
import { mockUsdcAbi } from '@agora/contracts/artifacts/MockUSDC'
import { signDepositPermit } from '@agora/contracts/escrow'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  parseEventLogs,
  UserRejectedRequestError,
  type Address,
  type Chain,
  type EIP1193Provider,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
  type Account,
} from 'viem'
import type { EscrowInfo } from '../api/schemas.ts'

/**
 * The escrow through the browser's wallet: reads and transactions both go through the
 * wallet (EIP-1193), so the console needs no RPC of its own and never sees a key.
 */
export interface EscrowClients {
  info: EscrowInfo
  address: Address
  chain: Chain
  walletClient: WalletClient<Transport, Chain, Account>
  publicClient: PublicClient<Transport, Chain>
}

/** What the escrow holds for a wallet, read from the chain. */
export interface EscrowState {
  /** Stablecoin in the wallet, token units (micro-USD). */
  walletTokens: bigint
  /** The wallet's balance in the escrow. */
  escrowed: bigint
  /** A pending withdrawal request, if any. */
  withdrawal: { amount: bigint; maturesAt: bigint } | undefined
  /** What the escrow owes this address as a provider's payout address. */
  earnings: bigint
  /** The chain's time (the latest block), seconds: what a withdrawal matures against. */
  chainTime: bigint
}

/** A step of a transaction, for the progress the console shows. */
export type TransactionStep = { step: 'signing' } | { step: 'pending'; hash: Hash } | { step: 'confirmed'; hash: Hash; block: bigint }

/**
 * viem clients for the escrow's chain over the wallet, switched to that chain.
 * @example
 * const clients = await escrowClients(window.ethereum!, info, address)
 */
export async function escrowClients(wallet: EIP1193Provider, info: EscrowInfo, address: Address): Promise<EscrowClients> {
  const chain = defineChain({ id: info.chain_id, name: `Chain ${info.chain_id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } })
  const transport = custom(wallet)
  const walletClient = createWalletClient({ account: address, chain, transport })
  const publicClient = createPublicClient({ chain, transport })
  try {
    if ((await walletClient.getChainId()) !== chain.id) await walletClient.switchChain({ id: chain.id })
  } catch (error) {
    throw new Error(`Switch your wallet to chain ${chain.id}, the chain of this router's escrow (${humanError(error)})`)
  }
  return { info, address, chain, walletClient, publicClient }
}

/**
 * The wallet's tokens, its escrowed balance, its pending withdrawal and its provider earnings.
 * @example
 * const { escrowed, withdrawal } = await readEscrow(clients)
 */
export async function readEscrow({ info, address, publicClient }: EscrowClients): Promise<EscrowState> {
  const escrow = { address: info.escrow, abi: creditEscrowAbi } as const
  const [walletTokens, escrowed, request, earnings, block] = await Promise.all([
    publicClient.readContract({ address: info.token, abi: mockUsdcAbi, functionName: 'balanceOf', args: [address] }),
    publicClient.readContract({ ...escrow, functionName: 'balanceOf', args: [address] }),
    publicClient.readContract({ ...escrow, functionName: 'withdrawalRequestOf', args: [address] }),
    publicClient.readContract({ ...escrow, functionName: 'earningsOf', args: [address] }),
    publicClient.getBlock(),
  ])
  return {
    walletTokens,
    escrowed,
    withdrawal: request.maturesAt === 0n ? undefined : { amount: request.amount, maturesAt: request.maturesAt },
    earnings,
    chainTime: block.timestamp,
  }
}

/**
 * Deposits `amount` token units in one transaction: an EIP-2612 permit signed in the wallet,
 * then `depositWithPermit`. Returns the deposit's journal reference once mined
 * (`<tx hash>:<log index>`, as the router credits it).
 * @example
 * const { ref } = await deposit(clients, 5_000_000n, (step) => setProgress(step))
 */
export async function deposit(clients: EscrowClients, amount: bigint, onStep: (step: TransactionStep) => void): Promise<{ ref: string; hash: Hash }> {
  const { info, walletClient, publicClient } = clients
  onStep({ step: 'signing' })
  const args = await signDepositPermit({ walletClient, publicClient, token: info.token, escrow: info.escrow, amount, deadline: BigInt(Math.floor(Date.now() / 1000) + 3600) })
  const receipt = await send(clients, { functionName: 'depositWithPermit', args }, onStep)
  const [logged] = parseEventLogs({ abi: creditEscrowAbi, eventName: 'Deposit', logs: receipt.logs })
  if (!logged) throw new Error('The transaction made no deposit')
  return { ref: `${receipt.transactionHash.toLowerCase()}:${logged.logIndex}`, hash: receipt.transactionHash }
}

/**
 * Asks to withdraw `amount` after the escrow's thaw period (replacing an earlier request).
 * @example
 * await requestWithdrawal(clients, 1_000_000n, setProgress)
 */
export async function requestWithdrawal(clients: EscrowClients, amount: bigint, onStep: (step: TransactionStep) => void): Promise<void> {
  await send(clients, { functionName: 'requestWithdrawal', args: [amount] }, onStep)
}

/** Pays out a matured withdrawal request to the wallet. */
export async function withdraw(clients: EscrowClients, onStep: (step: TransactionStep) => void): Promise<void> {
  await send(clients, { functionName: 'withdraw' }, onStep)
}

/** Cancels a pending withdrawal request. */
export async function cancelWithdrawal(clients: EscrowClients, onStep: (step: TransactionStep) => void): Promise<void> {
  await send(clients, { functionName: 'cancelWithdrawal' }, onStep)
}

/** Pays a provider's payout address everything the escrow owes it. */
export async function claim(clients: EscrowClients, onStep: (step: TransactionStep) => void): Promise<void> {
  await send(clients, { functionName: 'claim' }, onStep)
}

/** A call of the escrow a wallet makes. */
type EscrowCall =
  | { functionName: 'depositWithPermit'; args: readonly [bigint, bigint, number, Hash, Hash] }
  | { functionName: 'requestWithdrawal'; args: readonly [bigint] }
  | { functionName: 'withdraw' | 'cancelWithdrawal' | 'claim'; args?: undefined }

/**
 * Simulates the call first, so that a call the escrow would refuse fails with its reason
 * and costs nothing, then has the wallet send it and waits for it to be mined.
 */
async function send({ info, address, walletClient, publicClient }: EscrowClients, call: EscrowCall, onStep: (step: TransactionStep) => void) {
  try {
    const { request } = await publicClient.simulateContract({ account: address, address: info.escrow, abi: creditEscrowAbi, ...call } as Parameters<typeof publicClient.simulateContract>[0])
    onStep({ step: 'signing' })
    const hash = await walletClient.writeContract(request as Parameters<typeof walletClient.writeContract>[0])
    onStep({ step: 'pending', hash })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`The transaction ${hash} reverted`)
    onStep({ step: 'confirmed', hash, block: receipt.blockNumber })
    return receipt
  } catch (error) {
    throw new Error(humanError(error), { cause: error })
  }
}

/** What a failed wallet or contract call means, for people: the escrow's custom error by name when it reverted. */
export function humanError(error: unknown): string {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return 'The wallet declined the request.'
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      return REVERTS[reverted.data.errorName] ?? `The escrow refused: ${reverted.data.errorName}`
    }
    return error.shortMessage
  }
  return error instanceof Error ? error.message : String(error)
}

const REVERTS: Record<string, string> = {
  EnforcedPause: 'The escrow is paused: deposits are closed for now.',
  ZeroAmount: 'The amount must be more than zero.',
  InsufficientBalance: 'Your escrowed balance is smaller than that.',
  NothingToClaim: 'There are no earnings to claim.',
  NoWithdrawalRequest: 'There is no withdrawal request.',
  WithdrawalNotMatured: 'The withdrawal request has not thawed yet.',
  ERC2612ExpiredSignature: 'The permit expired before the transaction was mined; try again.',
}

/**
 * Time left until a withdrawal matures, as `1 h 02 min 05 s`, or undefined once it has.
 * @example
 * thawLeft(1_700_000_600n, 1_700_000_000n) // '10 min 00 s'
 */
export function thawLeft(maturesAt: bigint, now: bigint): string | undefined {
  if (now >= maturesAt) return undefined
  const seconds = Number(maturesAt - now)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  return h ? `${h} h ${pad(m)} min ${pad(s)} s` : `${m} min ${pad(s)} s`
}
