import { createWalletClient, custom, UserRejectedRequestError, type EIP1193Provider } from 'viem'
import { createSiweMessage } from 'viem/siwe'
import type { RouterApi } from '../api/client.ts'
import type { Session } from '../api/schemas.ts'

declare global {
  interface Window {
    /** An injected EIP-1193 wallet (MetaMask, Rabby, a test harness …). */
    ethereum?: EIP1193Provider
  }
}

/** The browser's injected wallet, if it has one. */
export function injectedWallet(): EIP1193Provider | undefined {
  return typeof window === 'undefined' ? undefined : window.ethereum
}

export interface SignInParameters {
  api: RouterApi
  wallet: EIP1193Provider
  /** The page's location: its host and origin are what the message signs in to. */
  location: Pick<Location, 'host' | 'origin'>
}

/**
 * Sign-In with Ethereum: asks the wallet for its account, gets a nonce from the router,
 * has the wallet sign an EIP-4361 message for this page's origin and the router's chain,
 * and lets the router verify it, which opens the session (an httpOnly cookie).
 * @throws {Error} with a message for people when the wallet declines or the router refuses
 * @example
 * const session = await signInWithEthereum({ api, wallet: window.ethereum!, location: window.location })
 */
export async function signInWithEthereum({ api, wallet, location }: SignInParameters): Promise<Session> {
  const client = createWalletClient({ transport: custom(wallet) })
  try {
    const [address] = await client.requestAddresses()
    if (!address) throw new Error('The wallet shared no account')
    const { nonce, chain_id: chainId, statement } = await api.nonce()
    const message = createSiweMessage({ domain: location.host, address, statement, uri: `${location.origin}/console/`, version: '1', chainId, nonce, issuedAt: new Date() })
    const signature = await client.signMessage({ account: address, message })
    return await api.verify({ message, signature })
  } catch (error) {
    if (error instanceof UserRejectedRequestError || (error as { code?: number }).code === 4001) throw new Error('The wallet declined the request, so you are not signed in.')
    throw error
  }
}
