import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest'
import type { Page } from 'playwright-core'
import type { Hex, TypedDataDefinition } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { pino } from 'pino'
import { initIdentity, loadIdentity, ProviderConfig, startProviderNode, type ProviderNode } from '@agora/provider-node'
import { startMarketplace, waitFor, type Marketplace } from '@agora/test/marketplace'
import { ensureConsoleBuilt } from '../build.ts'
import { usd } from '../src/format.ts'
import { chromiumAvailable, launchConsoleBrowser, openPage, screenshot, type ConsoleBrowser } from './browser.ts'

/**
 * The console in a real browser against a real local marketplace (off chain: the operator
 * grants credits): Debian's chromium driven by playwright-core, the router serving the built
 * console, dev providers over libp2p, and a wallet injected into the page (EIP-1193) that
 * signs with an anvil dev key in this process. escrow.test.ts runs the on-chain journey.
 *
 * Set AGORA_SCREENSHOTS_DIR (e.g. docs/screenshots) to save a screenshot of every page.
 */

/** Anvil's first dev account: a well-known key, never a real wallet. */
const WALLET_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const
const WALLET = privateKeyToAccount(WALLET_KEY)
const ADDRESS = WALLET.address.toLowerCase()

vi.setConfig({ hookTimeout: 300_000, testTimeout: 120_000 })

describe.skipIf(!chromiumAvailable())('the console in chromium', () => {
  let market: Marketplace
  let walletNode: ProviderNode
  let browser: ConsoleBrowser
  let page: Page
  let nodeDir: string

  beforeAll(async () => {
    await ensureConsoleBuilt()
    market = await startMarketplace({ logLevel: 'error' })
    // A provider node that pays out to the wallet, so the provider page has something to show.
    nodeDir = await mkdtemp(join(tmpdir(), 'agora-e2e-node-'))
    await initIdentity(nodeDir)
    const identity = { ...(await loadIdentity(nodeDir)), payout: { kind: 'key' as const, account: WALLET, privateKey: WALLET_KEY } }
    walletNode = await startProviderNode(
      ProviderConfig.parse({
        name: 'wallet-node',
        engine: { kind: 'dev', ttftMs: 10, tokensPerSecond: 200 },
        models: [{ id: 'dev/chat', contextLength: 8192, pricing: { inputPerMTok: 150_000, outputPerMTok: 450_000 } }],
        bootstrap: market.router.multiaddrs,
      }),
      { identity, log: pino({ level: 'error' }) },
    )
    await waitFor(() => market.router.registry.get(walletNode.peerId) !== undefined, 'the wallet node offer')

    // The wallet: window.ethereum in the page forwards every EIP-1193 request to this process.
    browser = await launchConsoleBrowser(async (method, params) => {
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [WALLET.address]
        case 'eth_chainId':
          return '0x7a69'
        case 'personal_sign':
          return WALLET.signMessage({ message: { raw: params[0] as Hex } })
        case 'eth_signTypedData_v4':
          return WALLET.signTypedData(JSON.parse(params[1] as string) as TypedDataDefinition)
        default:
          throw new Error(`the test wallet does not do ${method}`)
      }
    })
    page = browser.page
  })

  afterAll(async () => {
    await browser?.close()
    await walletNode?.stop()
    await market?.stop()
    if (nodeDir) await rm(nodeDir, { recursive: true, force: true })
  })

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${market.router.url}/api/accounts/${ADDRESS}${path}`, { ...init, headers: { authorization: `Bearer ${market.adminToken}`, 'content-type': 'application/json' } })

  const shot = (name: string) => screenshot(page, name)

  /** The page is no wider than the window: only tables and the navigation scroll sideways, inside their own box. */
  async function expectFits(width: number): Promise<void> {
    const wider = await page.evaluate(
      (w) =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap, nav.pages'))
          .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`),
      width,
    )
    expect(wider).toEqual([])
    expect(await page.evaluate(() => document.documentElement.scrollWidth), page.url()).toBeLessThanOrEqual(width)
  }

  const open = (label: string, heading: string) => openPage(page, label, heading)

  it('signs in with the wallet, shows the balance, makes a key, streams an answer, bills it, applies settings and logs out', async () => {
    await page.goto(`${market.router.url}/console/`)
    await page.getByRole('button', { name: 'Connect wallet and sign in' }).waitFor()
    await shot('sign-in')
    await page.getByRole('button', { name: 'Connect wallet and sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    expect(await page.locator('.address').textContent()).toBe(`${ADDRESS.slice(0, 6)}…${ADDRESS.slice(-4)}`)

    // The first sign-in made the account; the operator grants it credits.
    expect((await admin('/credits', { method: 'POST', body: JSON.stringify({ amount_micro_usd: '5000000', note: 'welcome grant', ref: 'e2e-grant' }) })).status).toBe(200)
    await page.reload()
    await page.getByText('$5.00').first().waitFor()

    // A key: its secret is shown once.
    await open('Keys', 'API keys')
    await page.getByRole('button', { name: 'Create a key' }).click()
    await page.getByLabel('Name').fill('e2e')
    await page.getByLabel('Spend limit (USD)').fill('2')
    await page.getByLabel('Limit period').selectOption('daily')
    await page.getByLabel('Requests per minute').fill('60')
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = (await page.getByTestId('new-secret').textContent())!
    expect(secret).toMatch(/^sk-agora-/)
    await expect(page.getByRole('rowheader', { name: 'e2e' }).count()).resolves.toBe(1)
    await shot('keys')

    // The playground streams an answer through that key.
    await page.getByRole('link', { name: 'Try it in the playground' }).click()
    await page.getByRole('heading', { level: 1, name: 'Playground' }).waitFor()
    expect(await page.getByLabel('Key').locator('option:checked').textContent()).toBe('e2e')
    await page.getByLabel('Model').selectOption('dev/chat')
    await page.getByLabel('Message').fill('Hello from the console!')
    await page.getByRole('button', { name: 'Send' }).click()
    const meta = page.getByTestId('answer-meta')
    await meta.waitFor({ timeout: 30_000 })
    const metaText = (await meta.textContent())!
    expect(metaText).toMatch(/Served by (local-dev|wallet-node)/)
    const cost = /cost \$(\d+\.\d+)/.exec(metaText)![1]!
    expect(Number(cost)).toBeGreaterThan(0)
    expect((await page.locator('.turn.assistant .text').textContent())!.length).toBeGreaterThan(10)
    await shot('playground')

    // Back on the keys page the secret is gone for good.
    await open('Keys', 'API keys')
    expect(await page.getByTestId('new-secret').count()).toBe(0)

    // The generation is in Usage with its cost.
    await open('Usage', 'Usage')
    const row = page.locator('tr[data-generation]').first()
    await row.waitFor()
    expect(await row.textContent()).toContain('dev/chat')
    expect(await row.textContent()).toContain(usd(BigInt(Math.round(Number(cost) * 1e6))))
    expect(await row.textContent()).toContain('e2e')
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), (await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))!)
    expect(csv.split('\r\n')[0]).toMatch(/^id,created_at,key_id,model/)
    expect(csv).toContain('dev/chat')
    await shot('usage')

    // Settings: saved, read back by the router, and applied to the next request.
    await open('Settings', 'Settings')
    await page.getByLabel('Provider order').selectOption('price')
    await page.getByLabel('Models the account may use').fill('dev/chat')
    await page.getByLabel('Warn when the balance is below (USD)').fill('10')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText(/^Saved \d{4}-\d\d-\d\d/).waitFor()
    await page.getByText(/below your warning threshold/).waitFor()
    expect(await (await admin('/settings')).json()).toMatchObject({ provider: { sort: 'price' }, allowed_models: ['dev/chat'], low_balance_threshold_micro_usd: '10000000' })
    const refused = await fetch(`${market.baseURL}/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dev/embed', input: 'hi' }) })
    expect(refused.status).toBe(403)
    expect((await refused.json()).error.code).toBe('model_not_allowed')
    const cheapest = await fetch(`${market.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'dev/chat', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) })
    expect(((await cheapest.json()) as { provider: string }).provider).toBe('local-dev')
    await shot('settings')

    // The other pages, for the record.
    await open('Models', 'Models')
    await page.getByRole('button', { name: 'Providers of dev/chat' }).click()
    await page.getByRole('table', { name: 'Providers of dev/chat' }).waitFor()
    await shot('models')
    await open('Credits', 'Credits')
    await page.getByText('welcome grant').waitFor()
    expect(await page.getByText(/no escrow on chain/).count()).toBe(1)
    await open('Provider', 'Provider')
    await page.getByRole('heading', { name: 'wallet-node' }).waitFor()
    expect(await page.getByText(walletNode.peerId).count()).toBe(1)
    await open('Overview', 'Overview')
    await page.getByText('Top models').waitFor()
    await page.locator('.chart-canvas canvas').first().waitFor()
    await shot('overview')

    // A phone-sized window: the same pages fit without sideways scrolling of the page.
    await page.setViewportSize({ width: 375, height: 812 })
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    await page.locator('.chart-canvas canvas').first().waitFor()
    await expectFits(375)
    await shot('overview-375')
    for (const [label, heading] of [['Keys', 'API keys'], ['Usage', 'Usage'], ['Models', 'Models'], ['Playground', 'Playground'], ['Credits', 'Credits'], ['Provider', 'Provider'], ['Settings', 'Settings']] as const) {
      await open(label, heading)
      await expectFits(375)
    }
    await page.setViewportSize({ width: 1280, height: 860 })

    // Keyboard: the skip link comes first, the navigation is reachable with Tab and opens with Enter.
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    const focused: string[] = []
    for (let i = 0; i < 8 && focused.at(-1) !== 'Keys'; i++) {
      await page.keyboard.press('Tab')
      focused.push((await page.evaluate(() => document.activeElement?.textContent)) ?? '')
    }
    expect(focused).toEqual(['Agora console', 'Log out', 'Overview', 'Keys'])
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor()

    // Logout ends the session on the router too.
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('button', { name: 'Connect wallet and sign in' }).waitFor()
    expect(await page.evaluate(async () => (await fetch('/api/auth/session')).status)).toBe(401)
  })
})
