import { createPublicClient, defineChain, getAddress, http, isAddress, type Address, type Chain, type PublicClient, type Transport } from 'viem'
import { z } from 'zod'

/** Where the escrow is: from `--rpc-url` and `--escrow`, or `PROVIDER_CHAIN_RPC_URL` and `PROVIDER_ESCROW_ADDRESS`. */
export const EscrowLocation = z.object({
  rpcUrl: z.url({ message: 'give the chain’s JSON-RPC URL: --rpc-url <url> (or PROVIDER_CHAIN_RPC_URL)' }),
  escrow: z
    .string({ message: 'give the escrow’s address: --escrow <0x…> (or PROVIDER_ESCROW_ADDRESS)' })
    .refine((value) => isAddress(value), 'the escrow must be a 0x address')
    .transform((value): Address => getAddress(value)),
})
export type EscrowLocation = z.infer<typeof EscrowLocation>

/** A problem reaching or using the escrow, phrased for the operator. */
export class EscrowError extends Error {
  override name = 'EscrowError'
}

/**
 * A client of the chain the escrow is on, its chain id asked of the RPC.
 * @example
 * const { client, chain } = await connectEscrow({ rpcUrl, escrow })
 */
export async function connectEscrow({ rpcUrl }: EscrowLocation): Promise<{ client: PublicClient<Transport, Chain>; chain: Chain }> {
  const probe = createPublicClient({ transport: http(rpcUrl) })
  const id = await probe.getChainId().catch((error: unknown) => {
    throw new EscrowError(`no chain answers at ${rpcUrl}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  })
  const chain = defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
  return { client: createPublicClient({ chain, transport: http(rpcUrl) }), chain }
}
