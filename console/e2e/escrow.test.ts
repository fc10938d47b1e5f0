import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import type { Page } from 'playwright-core'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_DEV_ACCOUNTS } from '@agora/contracts'
import { initIdentity, loadIdentity } from '@agora/provider-node'
import { startMarketplace, type Marketplace } from '@agora/test/marketplace'
import { ensureConsoleBuilt } from '../build.ts'
import { anvilWallet } from '../src/chain/test-wallet.ts'
import { chromiumAvailable, launchConsoleBrowser, openPage, screenshot, type ConsoleBrowser } from './browser.ts'

/**
 * The console on chain, in chromium: a marketplace with anvil, MockUSDC and the escrow, the
 * router watching and settling it. The wallet in the page is anvil's dev wallet (funded with
 * MockUSDC): it deposits with a permit, sees the deposit credited, spends it through a
 * provider node that pays out to itself, sees the generation settled with a proof, claims its
 * earnings as that provider, and requests a withdrawal, waits out the thaw and withdraws.
 */

vi.setConfig({ hookTimeout: 300_000, testTimeout: 180_000 })

describe.skipIf(!chromiumAvailable())('the console on chain, in chromium', () => {
  let market: Marketplace
  let browser: ConsoleBrowser
  let page: Page
  let nodeDir: string
  let rpc: ReturnType<typeof anvilWallet>

  beforeAll(async () => {
    await ensureConsoleBuilt()
    nodeDir = await mkdtemp(join(tmpdir(), 'agora-e2e-node-'))
    await initIdentity(nodeDir)
    const peer = await loadIdentity(nodeDir)
    // The dev wallet is anvil's fourth account; its node is the only provider, so its earnings are this wallet's.
    const devWallet = ANVIL_DEV_ACCOUNTS[3]
    market = await startMarketplace({
      logLevel: 'error',
      chain: { confirmations: 1, pollIntervalMs: 250, settlementThreshold: 1n, settlementIntervalMs: 1_000 },
      providers: [
        {
          name: 'wallet-node',
          engine: { kind: 'dev', ttftMs: 10, tokensPerSecond: 200 },
          models: [{ id: 'dev/chat', contextLength: 8192, pricing: { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } }],
          identity: { ...peer, payout: { kind: 'key', account: privateKeyToAccount(devWallet.privateKey), privateKey: devWallet.privateKey } },
        },
      ],
    })
    const wallet = market.chain!.devWallet
    expect(wallet.address).toBe(devWallet.address)
    rpc = anvilWallet({ rpcUrl: market.chain!.rpcUrl, address: wallet.address })
    const signer = privateKeyToAccount(wallet.privateKey)
    // anvil signs for its dev accounts; the sign-in message is signed here, as a wallet would.
    browser = await launchConsoleBrowser(async (method, params) =>
      method === 'personal_sign' ? signer.signMessage({ message: { raw: params[0] as Hex } }) : rpc.handle(method, params),
    )
    page = browser.page
  })

  afterAll(async () => {
    await browser?.close()
    await market?.stop()
    if (nodeDir) await rm(nodeDir, { recursive: true, force: true })
  })

  it('deposits, spends, settles with a proof, claims as the provider, and withdraws after the thaw', async () => {
    await page.goto(`${market.router.url}/console/`)
    await page.getByRole('button', { name: 'Connect wallet and sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()

    // A deposit with a permit, followed to the credit.
    await openPage(page, 'Credits', 'Credits')
    await page.getByText('Stablecoin in your wallet').waitFor()
    await page.getByLabel('Deposit (USD)').fill('5')
    await page.getByRole('button', { name: 'Deposit', exact: true }).click()
    await page.locator('.progress li.done', { hasText: 'Credited to your balance' }).waitFor({ timeout: 60_000 })
    await page.locator('.stat', { hasText: 'Deposited' }).getByText('$5.00').waitFor()
    await page.getByRole('rowheader', { name: 'Deposit' }).waitFor()

    // Spend some of it through a key.
    await openPage(page, 'Keys', 'API keys')
    await page.getByRole('button', { name: 'Create a key' }).click()
    await page.getByLabel('Name').fill('on-chain')
    await page.getByRole('button', { name: 'Create key' }).click()
    await page.getByRole('link', { name: 'Try it in the playground' }).click()
    await page.getByLabel('Message').fill('Settle me, please.')
    await page.getByRole('button', { name: 'Send' }).click()
    const meta = page.getByTestId('answer-meta')
    await meta.waitFor({ timeout: 30_000 })
    expect(await meta.textContent()).toContain('Served by wallet-node')

    // The settler takes the charge into a batch; Usage links its proof, which checks against the root stored on chain.
    await openPage(page, 'Usage', 'Usage')
    const proof = page.getByRole('link', { name: /^Batch \d+ proof$/ })
    for (let tries = 0; !(await proof.count()); tries++) {
      if (tries > 120) throw new Error('the generation was never settled')
      await page.waitForTimeout(500)
      await page.reload()
      await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor()
      await page.locator('tr[data-generation]').first().waitFor()
    }
    const body = (await page.evaluate(async (href) => (await fetch(href)).json(), (await proof.getAttribute('href'))!)) as { data: { receipts_root: string; proof: string[]; status: string } }
    expect(body.data.receipts_root).toMatch(/^0x[0-9a-f]{64}$/)
    expect(Array.isArray(body.data.proof)).toBe(true)
    await screenshot(page, 'usage-settled')

    // The wallet is also the payout address of the node that served: its earnings are claimable.
    await openPage(page, 'Provider', 'Provider')
    await page.getByRole('heading', { name: 'wallet-node' }).waitFor()
    const claim = page.getByRole('button', { name: /^Claim \$/ })
    for (let tries = 0; (await claim.textContent()) === 'Claim $0.00'; tries++) {
      if (tries > 60) throw new Error('no earnings after the settlement')
      await page.waitForTimeout(500)
      await page.reload()
      await claim.waitFor()
    }
    await screenshot(page, 'provider')
    await claim.click()
    await page.getByText('Claimed.').waitFor()
    await page.getByRole('button', { name: 'Claim $0.00' }).waitFor()

    // A withdrawal: requested, thawing, then paid once the chain's clock passed the thaw.
    await openPage(page, 'Credits', 'Credits')
    await page.getByLabel('Withdraw (USD)').fill('1')
    await page.getByRole('button', { name: 'Request withdrawal' }).click()
    await page.getByTestId('thaw').waitFor()
    expect(await page.getByTestId('thaw').textContent()).toMatch(/^(9|10) min \d\d s$/)
    expect(await page.getByRole('button', { name: 'Withdraw', exact: true }).isDisabled()).toBe(true)
    await screenshot(page, 'credits')
    await rpc.handle('evm_increaseTime', [3600])
    await rpc.handle('evm_mine', [])
    await page.reload()
    await page.getByText('Ready to withdraw.').waitFor()
    const before = await page.locator('.stat', { hasText: 'Stablecoin in your wallet' }).locator('.stat-value').textContent()
    await page.getByRole('button', { name: 'Withdraw', exact: true }).click()
    await page.getByRole('button', { name: 'Request withdrawal' }).waitFor()
    expect(await page.locator('.stat', { hasText: 'Stablecoin in your wallet' }).locator('.stat-value').textContent()).not.toBe(before)
  })
})
