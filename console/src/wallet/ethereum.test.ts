import { describe, it, expect } from 'vitest'
import { verifyMessage, type EIP1193Provider, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { parseSiweMessage } from 'viem/siwe'
import type { RouterApi } from '../api/client.ts'
import { signInWithEthereum } from './ethereum.ts'

/** An EIP-1193 wallet backed by a local key, as the end-to-end tests inject into the page. */
function localWallet(key = generatePrivateKey(), { decline = false } = {}): EIP1193Provider {
  const account = privateKeyToAccount(key)
  return {
    async request({ method, params }: { method: string; params?: unknown }) {
      if (decline) throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account.address]
      if (method === 'personal_sign') return account.signMessage({ message: { raw: (params as [Hex])[0] } })
      throw new Error(`unsupported ${method}`)
    },
    on() {},
    removeListener() {},
  } as unknown as EIP1193Provider
}

function recordingApi() {
  const seen: { message?: string; signature?: string } = {}
  const api = {
    nonce: async () => ({ nonce: 'Abcdefgh12345678', expires_at: '', chain_id: 31337, statement: 'Sign in to the Agora console.' }),
    verify: async (body: { message: string; signature: string }) => {
      Object.assign(seen, body)
      return { address: '0x', account_id: 'a', expires_at: '' }
    },
  } as unknown as RouterApi
  return { api, seen }
}

describe('signInWithEthereum', () => {
  it("signs an EIP-4361 message for the page's origin, the router's chain and nonce, with the wallet's key", async () => {
    const key = generatePrivateKey()
    const { api, seen } = recordingApi()
    await signInWithEthereum({ api, wallet: localWallet(key), location: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' } })
    const message = parseSiweMessage(seen.message!)
    const address = privateKeyToAccount(key).address
    expect(message).toMatchObject({ domain: '127.0.0.1:8080', address, uri: 'http://127.0.0.1:8080/console/', chainId: 31337, nonce: 'Abcdefgh12345678', version: '1', statement: 'Sign in to the Agora console.' })
    expect(await verifyMessage({ address, message: seen.message!, signature: seen.signature as Hex })).toBe(true)
  })

  it('says plainly when the wallet declines', async () => {
    const { api } = recordingApi()
    await expect(signInWithEthereum({ api, wallet: localWallet(undefined, { decline: true }), location: { host: 'h', origin: 'http://h' } })).rejects.toThrow('The wallet declined the request')
  })
})
