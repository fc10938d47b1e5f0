import { verifyMessage, type Hex } from 'viem'
import { parseSiweMessage, validateSiweMessage } from 'viem/siwe'
import { MarketError } from '@agora/protocol'

/** The statement the console asks wallets to sign; informative, not checked. */
export const SIGN_IN_STATEMENT = 'Sign in to the Agora console.'

/** 401: a Sign-In with Ethereum message that does not sign this router in; the message says why. */
export class SignInError extends MarketError {
  override name = 'SignInError'
  constructor(message: string) {
    super(401, 'invalid_request_error', 'invalid_sign_in', message)
  }
}

export interface VerifySignInParameters {
  /** The EIP-4361 message as the wallet signed it. */
  message: string
  /** The wallet's `personal_sign` signature of it. */
  signature: Hex
  /** Origins (`scheme://host[:port]`) the console is served from: the message's `domain` and `uri` must name one. */
  origins: string[]
  /** The chain id the message must name. */
  chainId: number
  now?: Date
}

export interface VerifySignInReturnType {
  /** Lower-case address that signed. */
  address: string
  /** The message's nonce, to be consumed exactly once. */
  nonce: string
  /** The message's own expiry, if it sets one: a session must not outlive it. */
  expirationTime: Date | undefined
}

/**
 * Checks a Sign-In with Ethereum (EIP-4361) message and its signature: well formed, for one
 * of our origins and our chain, within its validity window, signed by the address it names.
 * The nonce is checked against the database by the caller, after this succeeds, so a forged
 * message cannot use up someone's nonce.
 *
 * Only externally owned accounts (ECDSA signatures) are accepted: verifying a smart-contract
 * wallet (ERC-1271) needs a chain RPC.
 * @throws {SignInError} saying which check failed
 * @example
 * const { address, nonce } = await verifySignIn({ message, signature, origins: ['https://console.example'], chainId: 1 })
 */
export async function verifySignIn({ message, signature, origins, chainId, now = new Date() }: VerifySignInParameters): Promise<VerifySignInReturnType> {
  const parsed = parseSiweMessage(message)
  const { address, domain, uri, nonce } = parsed
  if (!address || !domain || !uri || !nonce || parsed.chainId === undefined || !parsed.version || !parsed.issuedAt) {
    throw new SignInError('Not a Sign-In with Ethereum (EIP-4361) message: domain, address, URI, version, chain id, nonce and issued-at are required')
  }
  const origin = origins.find((candidate) => new URL(candidate).host === domain)
  if (!origin) throw new SignInError(`The message signs in to \`${domain}\`, which is not this router's console (${origins.map((o) => new URL(o).host).join(', ')})`)
  if (originOf(uri) !== new URL(origin).origin) throw new SignInError(`The message's URI \`${uri}\` is not on ${origin}`)
  if (parsed.chainId !== chainId) throw new SignInError(`The message is for chain ${parsed.chainId}; this router signs in on chain ${chainId}`)
  if (!validateSiweMessage({ message: parsed, domain, time: now })) {
    throw new SignInError('The message is not valid now: check its version, nonce, address and its expiration and not-before times')
  }
  const signed = await verifyMessage({ address, message, signature }).catch(() => false)
  if (!signed) throw new SignInError(`The signature is not ${address}'s signature of this message`)
  return { address: address.toLowerCase(), nonce, expirationTime: parsed.expirationTime }
}

function originOf(uri: string): string | undefined {
  try {
    return new URL(uri).origin
  } catch {
    return undefined
  }
}
