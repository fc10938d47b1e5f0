import { getAbiItem, parseSignature, type Address, type Hex } from 'viem'
import { creditEscrowAbi } from './artifacts/CreditEscrow.ts'
import { mockUsdcAbi } from './artifacts/MockUSDC.ts'
import type { ChainClients } from './clients.ts'

/** One user's spend in a settlement batch, in token units (micro-USD). */
export interface Debit {
  account: Address
  amount: bigint
}

/** One provider's earnings in a settlement batch, to its payout address, in token units. */
export interface Credit {
  payout: Address
  amount: bigint
}

/** `Deposit(account, payer, amount)`: credits `account`. The router's deposit watcher reads these. */
export const depositEvent = getAbiItem({ abi: creditEscrowAbi, name: 'Deposit' })
/** `BatchSettled(batchId, receiptsRoot, debited, credited, fee, treasury)`. */
export const batchSettledEvent = getAbiItem({ abi: creditEscrowAbi, name: 'BatchSettled' })
/** `Debited(batchId, account, amount)`: one debit of a settled batch. */
export const debitedEvent = getAbiItem({ abi: creditEscrowAbi, name: 'Debited' })
/** `Credited(batchId, payout, amount)`: one credit of a settled batch. */
export const creditedEvent = getAbiItem({ abi: creditEscrowAbi, name: 'Credited' })
/** `Claimed(payout, amount)`. */
export const claimedEvent = getAbiItem({ abi: creditEscrowAbi, name: 'Claimed' })
/** `WithdrawalRequested(account, amount, maturesAt)`: the router stops spending `amount` of `account`. */
export const withdrawalRequestedEvent = getAbiItem({ abi: creditEscrowAbi, name: 'WithdrawalRequested' })
/** `WithdrawalCancelled(account, amount)`. */
export const withdrawalCancelledEvent = getAbiItem({ abi: creditEscrowAbi, name: 'WithdrawalCancelled' })
/** `Withdrawal(account, amount)`. */
export const withdrawalEvent = getAbiItem({ abi: creditEscrowAbi, name: 'Withdrawal' })

/** The EIP-712 domain name and version of a permit token. */
export interface PermitDomain {
  name: string
  version: string
}

export interface SignDepositPermitParameters extends ChainClients {
  /** The stablecoin (EIP-2612). */
  token: Address
  /** The escrow, the permit's spender. */
  escrow: Address
  /** Token units to deposit; the permit allows exactly this much. */
  amount: bigint
  /** Unix time after which the permit is void. */
  deadline: bigint
  /**
   * The token's EIP-712 name and version. Read from the token's `eip712Domain()` (ERC-5267) when absent;
   * pass them for a token without it (Circle's USDC: its `name()` and version "2").
   */
  domain?: PermitDomain
}

/** The arguments of `depositWithPermit`, in order. */
export type DepositWithPermitArgs = readonly [amount: bigint, deadline: bigint, v: number, r: Hex, s: Hex]

/**
 * Signs an EIP-2612 permit for the escrow to take `amount` from the wallet's account, and returns
 * the arguments of `depositWithPermit`, so that a deposit is one transaction.
 * @example
 * const args = await signDepositPermit({ walletClient, publicClient, token, escrow, amount: 5_000_000n, deadline })
 * await walletClient.writeContract({ address: escrow, abi: creditEscrowAbi, functionName: 'depositWithPermit', args })
 */
export async function signDepositPermit({ walletClient, publicClient, token, escrow, amount, deadline, domain }: SignDepositPermitParameters): Promise<DepositWithPermitArgs> {
  const owner = walletClient.account.address
  const [name, version] = domain ? [domain.name, domain.version] : await publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: 'eip712Domain' }).then((d) => [d[1], d[2]])
  const nonce = await publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: 'nonces', args: [owner] })
  const signature = await walletClient.signTypedData({
    domain: { name, version, chainId: walletClient.chain.id, verifyingContract: token },
    types: {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner, spender: escrow, value: amount, nonce, deadline },
  })
  const { r, s, v, yParity } = parseSignature(signature)
  return [amount, deadline, Number(v ?? BigInt(yParity) + 27n), r, s]
}
