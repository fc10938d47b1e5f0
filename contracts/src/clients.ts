import { createPublicClient, createWalletClient, http, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** A wallet that sends transactions, and the public client that reads the chain and waits for receipts. */
export interface ChainClients {
  publicClient: PublicClient<Transport, Chain>
  walletClient: WalletClient<Transport, Chain, Account>
}

export interface CreateChainClientsParameters {
  rpcUrl: string
  chain: Chain
  /** The key that signs, e.g. one of `anvil.accounts`. */
  privateKey: Hex
}

/**
 * viem clients for one signer on one chain over HTTP.
 * @example
 * const { walletClient, publicClient } = createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: anvil.accounts[0].privateKey })
 */
export function createChainClients({ rpcUrl, chain, privateKey }: CreateChainClientsParameters): ChainClients {
  const transport = http(rpcUrl)
  return {
    publicClient: createPublicClient({ chain, transport }),
    walletClient: createWalletClient({ chain, transport, account: privateKeyToAccount(privateKey) }),
  }
}
