import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseEther, type Address } from 'viem'
import { creditEscrowAbi } from '../src/artifacts/CreditEscrow.ts'
import { mockUsdcAbi } from '../src/artifacts/MockUSDC.ts'
import { startAnvil, type Anvil } from '../src/anvil.ts'
import { createChainClients, type ChainClients } from '../src/clients.ts'
import { deployMarketplaceContracts, fundWallet } from '../src/deploy.ts'
import { depositEvent } from '../src/escrow.ts'

const DEPLOY_SCRIPT = new URL('../scripts/deploy.ts', import.meta.url).pathname

let anvil: Anvil
let deployer: ChainClients
let operator: Address
let treasury: Address

beforeAll(async () => {
  anvil = await startAnvil()
  deployer = createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: anvil.accounts[0]!.privateKey })
  operator = anvil.accounts[1]!.address
  treasury = anvil.accounts[2]!.address
})
afterAll(async () => {
  await anvil?.stop()
})

async function escrowSettings(escrow: Address) {
  const read = <const F extends 'owner' | 'operator' | 'treasury' | 'thawPeriod' | 'token'>(functionName: F) =>
    deployer.publicClient.readContract({ address: escrow, abi: creditEscrowAbi, functionName })
  return { owner: await read('owner'), operator: await read('operator'), treasury: await read('treasury'), thawPeriod: await read('thawPeriod'), token: await read('token') }
}

describe('deployMarketplaceContracts', () => {
  it('deploys a MockUSDC and the escrow over it, owned by the deployer', async () => {
    const deployment = await deployMarketplaceContracts({ ...deployer, operator, treasury, thawSeconds: 600 })
    expect(deployment.mockToken).toBe(true)
    expect(deployment.escrow).toBe(getAddress(deployment.escrow))
    expect(await escrowSettings(deployment.escrow)).toEqual({ owner: deployer.walletClient.account.address, operator, treasury, thawPeriod: 600n, token: deployment.token })
    const receipt = await deployer.publicClient.getTransactionReceipt({
      hash: (await deployer.publicClient.getBlock({ blockNumber: deployment.deploymentBlock })).transactions[0]!,
    })
    expect(receipt.contractAddress && getAddress(receipt.contractAddress)).toBe(deployment.escrow)
  })

  it('deploys over an existing token with another owner', async () => {
    const { token } = await deployMarketplaceContracts({ ...deployer, operator, treasury, thawSeconds: 600 })
    const owner = anvil.accounts[3]!.address
    const deployment = await deployMarketplaceContracts({ ...deployer, operator, treasury, thawSeconds: 3600n, token, owner })
    expect(deployment).toMatchObject({ token, mockToken: false })
    expect(await escrowSettings(deployment.escrow)).toMatchObject({ owner, token, thawPeriod: 3600n })
  })

  it('fundWallet mints MockUSDC and sends ether; deposits are found from the deployment block on', async () => {
    const { token, escrow, deploymentBlock } = await deployMarketplaceContracts({ ...deployer, operator, treasury, thawSeconds: 600 })
    const fresh = createChainClients({ rpcUrl: anvil.rpcUrl, chain: anvil.chain, privateKey: `0x${'11'.repeat(32)}` })
    const wallet = fresh.walletClient.account.address
    await fundWallet({ ...deployer, token, to: wallet, amount: 25_000_000n, ether: parseEther('0.5') })
    expect(await deployer.publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: 'balanceOf', args: [wallet] })).toBe(25_000_000n)
    expect(await deployer.publicClient.getBalance({ address: wallet })).toBe(parseEther('0.5'))

    await fresh.publicClient.waitForTransactionReceipt({ hash: await fresh.walletClient.writeContract({ address: token, abi: mockUsdcAbi, functionName: 'approve', args: [escrow, 10_000_000n] }) })
    await fresh.publicClient.waitForTransactionReceipt({ hash: await fresh.walletClient.writeContract({ address: escrow, abi: creditEscrowAbi, functionName: 'deposit', args: [10_000_000n] }) })
    const logs = await deployer.publicClient.getLogs({ address: escrow, event: depositEvent, fromBlock: deploymentBlock })
    expect(logs.map((log) => log.args)).toEqual([{ account: wallet, payer: wallet, amount: 10_000_000n }])
  })
})

describe('scripts/deploy.ts', () => {
  function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [DEPLOY_SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.once('error', reject)
      child.once('exit', (code) => resolve({ code, stdout, stderr }))
    })
  }

  const roles = () => ['--operator', operator, '--treasury', treasury]

  it('prints its usage with --help', async () => {
    const { code, stdout } = await run(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('--rpc-url <url>')
    expect(stdout).toContain('DEPLOYER_PRIVATE_KEY')
  })

  it('refuses incomplete or contradictory options before touching the chain', async () => {
    const missing = await run([])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/rpcUrl/)
    expect(missing.stderr).toMatch(/operator/)
    const both = await run(['--rpc-url', anvil.rpcUrl, '--chain-id', '31337', ...roles(), '--token', treasury, '--mock-token'], { DEPLOYER_PRIVATE_KEY: anvil.accounts[0]!.privateKey })
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('exactly one of --token <address> and --mock-token')
    const badKey = await run(['--rpc-url', anvil.rpcUrl, '--chain-id', '31337', ...roles(), '--mock-token'], { DEPLOYER_PRIVATE_KEY: '0x1234' })
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toContain('64 hex digits')
  })

  it('refuses an RPC of another chain', async () => {
    const { code, stderr } = await run(['--rpc-url', anvil.rpcUrl, '--chain-id', '8453', ...roles(), '--mock-token'], { DEPLOYER_PRIVATE_KEY: anvil.accounts[0]!.privateKey })
    expect(code).toBe(1)
    expect(stderr).toContain('The RPC serves chain 31337, not 8453: nothing was sent.')
  })

  it('deploys with a mock token (key from the environment) and over an existing token (key from a file)', async () => {
    const mock = await run(['--rpc-url', anvil.rpcUrl, '--chain-id', '31337', ...roles(), '--mock-token', '--thaw-seconds', '7200'], { DEPLOYER_PRIVATE_KEY: anvil.accounts[0]!.privateKey })
    expect(mock.code, mock.stderr).toBe(0)
    const first = JSON.parse(mock.stdout) as { escrow: Address; token: Address; deploymentBlock: string; mockToken: boolean }
    expect(first).toMatchObject({ chainId: 31337, mockToken: true, owner: anvil.accounts[0]!.address, operator, treasury, thawSeconds: 7200 })
    expect(await escrowSettings(first.escrow)).toEqual({ owner: anvil.accounts[0]!.address, operator, treasury, thawPeriod: 7200n, token: first.token })

    const dir = await mkdtemp(join(tmpdir(), 'agora-deploy-'))
    try {
      const keyFile = join(dir, 'deployer.key')
      await writeFile(keyFile, `${anvil.accounts[4]!.privateKey}\n`, { mode: 0o600 })
      const owner = anvil.accounts[5]!.address
      const real = await run(['--rpc-url', anvil.rpcUrl, '--chain-id', '31337', ...roles(), '--token', first.token, '--owner', owner, '--key-file', keyFile])
      expect(real.code, real.stderr).toBe(0)
      const second = JSON.parse(real.stdout) as { escrow: Address }
      expect(second).toMatchObject({ token: first.token, mockToken: false, owner, thawSeconds: 86400 })
      expect(await escrowSettings(second.escrow)).toMatchObject({ owner, token: first.token, thawPeriod: 86400n })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
