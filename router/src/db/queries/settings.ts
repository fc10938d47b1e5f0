import { eq } from 'drizzle-orm'
import type { Database } from '../index.ts'
import { accountSettings, type AccountSettings, type NewAccountSettings } from '../schema/index.ts'

/**
 * An account's settings, or undefined when it never saved any (no defaults apply).
 * @example
 * const settings = await getAccountSettings(db, accountId)
 */
export async function getAccountSettings(db: Database, accountId: string): Promise<AccountSettings | undefined> {
  const [settings] = await db.select().from(accountSettings).where(eq(accountSettings.accountId, accountId))
  return settings
}

/**
 * Replaces an account's settings with `settings` (fields left out take their defaults).
 * @example
 * await saveAccountSettings(db, { accountId, sort: 'price', ignoredProviders: ['slow-node'] })
 */
export async function saveAccountSettings(db: Database, settings: Omit<NewAccountSettings, 'updatedAt'>): Promise<AccountSettings> {
  const row = {
    sort: null,
    maxPromptPrice: null,
    maxCompletionPrice: null,
    ignoredProviders: [],
    quantizations: null,
    allowFallbacks: true,
    allowedModels: null,
    lowBalanceThreshold: null,
    ...settings,
    updatedAt: new Date(),
  }
  const [saved] = await db.insert(accountSettings).values(row).onConflictDoUpdate({ target: accountSettings.accountId, set: row }).returning()
  return saved!
}
