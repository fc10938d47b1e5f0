import { getAddress, type Address, type Hash } from 'viem'
import { creditEscrowAbi, creditEscrowBytecode } from './artifacts/CreditEscrow.ts'
import { mockUsdcAbi, mockUsdcBytecode } from './artifacts/MockUSDC.ts'
import type { ChainClients } from './clients.ts'

export interface DeployMarketplaceContractsParameters extends ChainClients {
  /** The account that settles batches (the router's operator key). */
  operator: Address
  /** The account settlement fees are credited to. */
  treasury: Address
  /** Seconds a withdrawal request waits before it can be withdrawn (60 s to 30 days). */
  thawSeconds: number | bigint
  /** The escrow's owner; the deployer by default. */
  owner?: Address
  /** An existing 6-decimal stablecoin to hold; when absent a fresh MockUSDC is deployed. */
  token?: Address
  /** Blocks to wait after each deployment transaction; 1 by default. */
  confirmations?: number
}

/** The deployed contracts, and the block to start reading escrow events from. */
export interface MarketplaceContracts {
  token: Address
  escrow: Address
  /** The block the escrow was deployed in: no escrow event is older. */
  deploymentBlock: bigint
  /** Whether `token` is a MockUSDC deployed here (anyone can mint it). */
  mockToken: boolean
}

export type DeployMarketplaceContractsReturnType = MarketplaceContracts

/**
 * Deploys the escrow (and a MockUSDC when no token is given) and waits for each deployment.
 * @example
 * const { token, escrow, deploymentBlock } = await deployMarketplaceContracts({ walletClient, publicClient, operator, treasury, thawSeconds: 3600 })
 */
export async function deployMarketplaceContracts({
  walletClient,
  publicClient,
  operator,
  treasury,
  thawSeconds,
  owner = walletClient.account.address,
  token,
  confirmations = 1,
}: DeployMarketplaceContractsParameters): Promise<DeployMarketplaceContractsReturnType> {
  const deployed = async (hash: Hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, confirmations })
    if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment ${hash} failed`)
    return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber }
  }
  const tokenAddress = token ?? (await deployed(await walletClient.deployContract({ abi: mockUsdcAbi, bytecode: mockUsdcBytecode }))).address
  const escrow = await deployed(
    await walletClient.deployContract({ abi: creditEscrowAbi, bytecode: creditEscrowBytecode, args: [tokenAddress, owner, operator, treasury, BigInt(thawSeconds)] }),
  )
  return { token: getAddress(tokenAddress), escrow: escrow.address, deploymentBlock: escrow.blockNumber, mockToken: token === undefined }
}

export interface FundWalletParameters extends ChainClients {
  /** A MockUSDC: this mints, which a real stablecoin does not allow. */
  token: Address
  to: Address
  /** Token units (micro-USD) to mint to `to`. */
  amount: bigint
  /** Wei the signer sends `to` for gas; none by default. */
  ether?: bigint
}

/**
 * Gives a wallet MockUSDC (minted) and, optionally, ether for gas from the signer; waits for both.
 * @example
 * await fundWallet({ walletClient, publicClient, token, to: user, amount: 100_000_000n, ether: parseEther('1') })
 */
export async function fundWallet({ walletClient, publicClient, token, to, amount, ether = 0n }: FundWalletParameters): Promise<void> {
  const hashes = [await walletClient.writeContract({ address: token, abi: mockUsdcAbi, functionName: 'mint', args: [to, amount] })]
  if (ether > 0n) hashes.push(await walletClient.sendTransaction({ to, value: ether }))
  for (const hash of hashes) {
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`funding ${to} failed in ${hash}`)
  }
}
