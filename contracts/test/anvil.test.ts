import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createPublicClient, http, parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_DEV_ACCOUNTS, startAnvil } from '../src/anvil.ts'
import { createChainClients } from '../src/clients.ts'

async function rpc(rpcUrl: string, method: string): Promise<unknown> {
  const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) })
  return ((await response.json()) as { result: unknown }).result
}

async function answers(rpcUrl: string): Promise<boolean> {
  return rpc(rpcUrl, 'eth_chainId').then(
    () => true,
    () => false,
  )
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

describe('startAnvil', () => {
  it('runs anvil on a free 127.0.0.1 port with the funded dev accounts, and stop() ends it', async () => {
    const [first, second] = await Promise.all([startAnvil(), startAnvil({ chainId: 1337 })])
    try {
      expect(first.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(second.rpcUrl).not.toBe(first.rpcUrl)
      const client = createPublicClient({ chain: first.chain, transport: http(first.rpcUrl) })
      expect(await client.getChainId()).toBe(31337)
      expect(first.chain.id).toBe(31337)
      expect(await createPublicClient({ chain: second.chain, transport: http(second.rpcUrl) }).getChainId()).toBe(1337)
      expect(await rpc(first.rpcUrl, 'eth_accounts')).toEqual(ANVIL_DEV_ACCOUNTS.map((a) => a.address.toLowerCase()))
      for (const account of first.accounts) {
        expect(privateKeyToAccount(account.privateKey).address).toBe(account.address)
        expect(await client.getBalance({ address: account.address })).toBe(parseEther('10000'))
      }
    } finally {
      await Promise.all([first.stop(), second.stop()])
    }
    expect(await answers(first.rpcUrl)).toBe(false)
    expect(await answers(second.rpcUrl)).toBe(false)
  })

  it('mines on an interval with blockTime', async () => {
    const anvil = await startAnvil({ blockTime: 1 })
    try {
      const client = createPublicClient({ chain: anvil.chain, transport: http(anvil.rpcUrl) })
      expect(await eventually(async () => (await client.getBlockNumber()) >= 1n)).toBe(true)
    } finally {
      await anvil.stop()
    }
  })

  it('keeps the chain in stateFile across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-anvil-'))
    const stateFile = join(dir, 'state.json')
    try {
      const before = await startAnvil({ stateFile })
      const { walletClient, publicClient } = createChainClients({ rpcUrl: before.rpcUrl, chain: before.chain, privateKey: before.accounts[0]!.privateKey })
      const recipient = before.accounts[9]!.address
      await publicClient.waitForTransactionReceipt({ hash: await walletClient.sendTransaction({ to: recipient, value: parseEther('1') }) })
      await before.stop()

      const after = await startAnvil({ stateFile })
      try {
        const client = createPublicClient({ chain: after.chain, transport: http(after.rpcUrl) })
        expect(await client.getBalance({ address: recipient })).toBe(parseEther('10001'))
      } finally {
        await after.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('does not outlive a parent that is killed', async () => {
    const script = `import { startAnvil } from ${JSON.stringify(new URL('../src/anvil.ts', import.meta.url).pathname)}
const anvil = await startAnvil()
process.stdout.write(anvil.rpcUrl + '\\n')
setInterval(() => {}, 60_000)`
    const parent = spawn(process.execPath, ['--input-type=module', '--eval', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [chunk] = (await once(parent.stdout, 'data')) as [Buffer]
    const rpcUrl = chunk.toString().trim()
    expect(await answers(rpcUrl)).toBe(true)
    parent.kill('SIGKILL')
    expect(await eventually(async () => !(await answers(rpcUrl)))).toBe(true)
  })
})
