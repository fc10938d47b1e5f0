import type { Address } from 'viem'
import { creditEscrowAbi } from '@agora/contracts'
import { formatUsd } from '@agora/protocol'
import { loadIdentity } from '../identity.ts'
import { EscrowError, connectEscrow, type EscrowLocation } from './escrow.ts'

export interface EarningsParameters extends EscrowLocation {
  dataDir: string
  /** Ask about this payout address instead of the data dir's. */
  address?: Address
  json: boolean
}

/** What a payout address can claim from the escrow. */
export interface Earnings {
  payout: Address
  escrow: Address
  chainId: number
  /** Micro-USD (token units) settled to it and not claimed yet. */
  claimable: bigint
}

/**
 * `provider-node earnings`: what the escrow holds for the node's payout address (settled,
 * not claimed yet).
 * @example
 * const { output } = await runEarnings({ dataDir, rpcUrl, escrow, json: false })
 */
export async function runEarnings({ dataDir, address, json, ...location }: EarningsParameters): Promise<{ earnings: Earnings; output: string }> {
  const payout = address ?? (await payoutAddress(dataDir))
  const { client, chain } = await connectEscrow(location)
  const claimable = await client.readContract({ address: location.escrow, abi: creditEscrowAbi, functionName: 'earningsOf', args: [payout] }).catch((error: unknown) => {
    throw new EscrowError(`no escrow answers at ${location.escrow} on chain ${chain.id}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  })
  const earnings = { payout, escrow: location.escrow, chainId: chain.id, claimable }
  const output = json
    ? `${JSON.stringify({ ...earnings, claimable: claimable.toString() }, null, 2)}\n`
    : [
        `payout     ${payout}`,
        `escrow     ${location.escrow} on chain ${chain.id}`,
        `earnings   $${formatUsd(claimable)} (${claimable} micro-USD) settled and not claimed${claimable > 0n ? ': `provider-node claim` pays it out' : ''}`,
        '',
      ].join('\n')
  return { earnings, output }
}

async function payoutAddress(dataDir: string): Promise<Address> {
  const identity = await loadIdentity(dataDir)
  return identity.payout.kind === 'key' ? identity.payout.account.address : identity.payout.address
}
