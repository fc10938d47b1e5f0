import { BaseError, InsufficientFundsError, createWalletClient, http, parseEventLogs, type Address, type Hash } from 'viem'
import { creditEscrowAbi } from '@agora/contracts'
import { formatUsd } from '@agora/protocol'
import { dataDirPaths, loadIdentity } from '../identity.ts'
import { EscrowError, connectEscrow, type EscrowLocation } from './escrow.ts'

export interface ClaimParameters extends EscrowLocation {
  dataDir: string
}

/** A claim made, or none to make. */
export type ClaimReturnType = { claimed: bigint; payout: Address; txHash: Hash | null; output: string }

/**
 * `provider-node claim`: sends the escrow's `claim()` from the payout key in the data dir,
 * which pays all the payout address's earnings to it, and waits for it to be mined. The
 * payout address pays the gas.
 * @example
 * const { claimed, txHash } = await runClaim({ dataDir, rpcUrl, escrow })
 */
export async function runClaim({ dataDir, ...location }: ClaimParameters): Promise<ClaimReturnType> {
  const identity = await loadIdentity(dataDir)
  if (identity.payout.kind !== 'key') {
    throw new EscrowError(
      `the payout key of ${identity.payout.address} is not in ${dataDirPaths(dataDir).dataDir}: claim from its wallet, calling claim() on ${location.escrow}, ` +
        `e.g. cast send ${location.escrow} 'claim()' --rpc-url ${location.rpcUrl} --ledger`,
    )
  }
  const account = identity.payout.account
  const { client, chain } = await connectEscrow(location)
  const claimable = await client.readContract({ address: location.escrow, abi: creditEscrowAbi, functionName: 'earningsOf', args: [account.address] })
  if (claimable === 0n) return { claimed: 0n, payout: account.address, txHash: null, output: `Nothing to claim: no earnings of ${account.address} are settled on ${location.escrow}.\n` }

  const wallet = createWalletClient({ account, chain, transport: http(location.rpcUrl) })
  const txHash = await wallet.writeContract({ address: location.escrow, abi: creditEscrowAbi, functionName: 'claim' }).catch((error: unknown) => {
    if (error instanceof BaseError && error.walk((cause) => cause instanceof InsufficientFundsError)) {
      throw new EscrowError(`${account.address} has no ${chain.nativeCurrency.symbol} for the gas of the claim: send it some first`)
    }
    throw error
  })
  const receipt = await client.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== 'success') throw new EscrowError(`the claim ${txHash} reverted`)
  const [event] = parseEventLogs({ abi: creditEscrowAbi, eventName: 'Claimed', logs: receipt.logs })
  const claimed = event?.args.amount ?? 0n
  return {
    claimed,
    payout: account.address,
    txHash,
    output: `Claimed $${formatUsd(claimed)} (${claimed} micro-USD) to ${account.address} in ${txHash} (block ${receipt.blockNumber}).\n`,
  }
}
