import type { EIP1193Provider } from 'viem'

/**
 * Test support: an EIP-1193 wallet for one of anvil's unlocked dev accounts. It answers
 * which account it is and forwards every other request (signing included: anvil signs for
 * its dev accounts) to anvil's JSON-RPC, as a browser wallet would to its node.
 * @example
 * const wallet = anvilWallet({ rpcUrl: anvil.rpcUrl, address: anvil.accounts[3].address })
 */
export function anvilWallet({ rpcUrl, address }: { rpcUrl: string; address: string }): EIP1193Provider & { handle(method: string, params: unknown[]): Promise<unknown> } {
  let id = 0
  const handle = async (method: string, params: unknown[]): Promise<unknown> => {
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address]
    if (method === 'wallet_switchEthereumChain') return null
    const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) })
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data })
    return body.result
  }
  return {
    handle,
    request: (({ method, params }: { method: string; params?: unknown[] }) => handle(method, params ?? [])) as EIP1193Provider['request'],
    on: () => {},
    removeListener: () => {},
  } as unknown as EIP1193Provider & { handle(method: string, params: unknown[]): Promise<unknown> }
}
