import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** End-to-end support: Debian's chromium with a fresh profile, a wallet injected into the page, screenshots. */

export const CHROMIUM = '/usr/bin/chromium'

/** Whether chromium is here; in CI (which installs it, see .ci/run) a missing browser is a failure. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`)
  console.warn(`skipping the console end-to-end tests: ${CHROMIUM} is missing`)
  return false
}

/** Answers the page's EIP-1193 requests (`window.ethereum.request`) in this process. */
export type WalletHandler = (method: string, params: unknown[]) => Promise<unknown>

export interface ConsoleBrowser {
  context: BrowserContext
  page: Page
  close(): Promise<void>
}

/**
 * Headless chromium on a fresh profile, with `window.ethereum` in every page forwarding
 * requests to `wallet`.
 * @example
 * const { page, close } = await launchConsoleBrowser(async (method) => …)
 */
export async function launchConsoleBrowser(wallet: WalletHandler): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'agora-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  })
  const page = context.pages()[0] ?? (await context.newPage())
  await page.exposeFunction('__agoraWallet', wallet)
  await page.addInitScript(() => {
    const call = (window as unknown as { __agoraWallet: WalletHandler }).__agoraWallet
    ;(window as unknown as { ethereum: unknown }).ethereum = {
      request: ({ method, params }: { method: string; params?: unknown[] }) => call(method, params ?? []),
      on() {},
      removeListener() {},
    }
  })
  return {
    context,
    page,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** Where screenshots go: set AGORA_SCREENSHOTS_DIR (e.g. docs/screenshots) to keep them. */
const SCREENSHOTS = process.env.AGORA_SCREENSHOTS_DIR ? resolve(process.env.AGORA_SCREENSHOTS_DIR) : undefined

/** Saves a full-page screenshot named `name` when AGORA_SCREENSHOTS_DIR is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return
  await mkdir(SCREENSHOTS, { recursive: true })
  // Keep the caret and focus rings out of the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** Opens a page of the console through its navigation and waits for its heading. */
export async function openPage(page: Page, label: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true }).click()
  await page.getByRole('heading', { level: 1, name: heading }).waitFor()
}
